"""``pledge backup`` and ``pledge restore``, and the restore drill (docs/backup.md).

Every test runs the real commands as ``python -m pledge`` against databases of its own, never
the test database: a site is a folder (PLEDGE_VAR, with its uploads), a database URL and a key
ring. On SQLite a database is a new file; when the suite runs on PostgreSQL (DATABASE_URL), the
same tests also run on uniquely named databases created on that server and dropped after. The
data is set up through the real services (``pledge/cases/tests/seeding.py``: one person with a
record in every personal table, an encrypted CV on disk among them).

The drill: back up while another process keeps writing people and audit entries, restore into
an empty database, and find the audit chain intact up to the entry the manifest names, and a
person's export (every provider's records and files) identical to the original's.
"""

import base64
import hashlib
import hmac
import io
import json
import os
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote
from uuid import uuid4

import pytest
from django.conf import settings

from pledge.vault.keys import new_entry

ADA = "ada.everything@ada-corp.cn"  # the seeded person (seed_everything("ada"))
LOAD_BEFORE_BACKUP = 20  # writes the load makes before the backup starts
ENGINES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]

SEED = """
import django
django.setup()
from pledge.cases.tests.seeding import seed_everything
from pledge.people.services import person_upsert
from pledge.vault.actors import Actor

seed_everything("ada")
for number in range(3):
    person_upsert(
        actor=Actor.system("backup.drill"),
        source="web_form",
        email=f"colleague-{number}@ada-corp.cn",
        name=f"Colleague {number}",
    )
"""

# Writes people, their consents and audit entries, one transaction after another, until the
# stop file appears; the progress file holds how many people it wrote. On SQLite its commits stay
# in the write-ahead log (no checkpoint moves them into the database file meanwhile), as a busy
# site's latest commits do: a copy of the database file alone would miss them all.
LOAD = """
import sys
from pathlib import Path

import django
django.setup()
from django.db import connection
from pledge.people.models import ConsentMethod
from pledge.people.services import consent_record, person_upsert
from pledge.vault.actors import Actor

progress, stop = Path(sys.argv[1]), Path(sys.argv[2])
actor = Actor.system("backup.drill")
if connection.vendor == "sqlite":
    connection.cursor().execute("PRAGMA wal_autocheckpoint=0")
written = 0
while not stop.exists():
    person, _ = person_upsert(
        actor=actor, source="web_form", email=f"load-{written}@load.example", name=f"Load {written}"
    )
    consent_record(
        person=person, subject="list:newsletter", granted=True, text="Yes, news.",
        language="en", method=ConsentMethod.FORM, actor=actor,
    )
    written += 1
    partial = progress.with_suffix(".partial")
    partial.write_text(str(written))
    partial.replace(progress)
"""

# A person's export as the rights give it: every provider's records, and its files' digests.
EXPORT = """
import hashlib, json, sys
import django
django.setup()
from pledge.people.registry import providers, registry_export
from pledge.people.services import person_find_by_email

person = person_find_by_email(sys.argv[1])
files = {
    provider.key: [[name, hashlib.sha256(content).hexdigest()] for name, content in provider.files(person)]
    for provider in providers()
    if provider.files is not None
}
print(json.dumps({"records": registry_export(person), "files": files}, sort_keys=True))
"""

VERDICT = """
import json
import django
django.setup()
from pledge.vault.audit import audit_verify

verdict = audit_verify()
print(json.dumps({"intact": verdict.intact, "entries": verdict.entries, "hash": verdict.head_hash,
                  "problem": verdict.problem}))
"""

TABLES = """
import json
import django
django.setup()
from django.db import connection

print(json.dumps(sorted(connection.introspection.table_names())))
"""


# --- Sites and their databases ---------------------------------------------------------------


@dataclass
class Site:
    """A Pledge installation of its own: a folder, a database and a key ring."""

    folder: Path
    database_url: str
    keys: str

    def environment(self) -> dict:
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PLEDGE_", "DATABASE_URL", "REDIS_URL"))
        }
        return environment | {
            "DJANGO_SETTINGS_MODULE": "pledge.settings",
            "PLEDGE_VAR": str(self.folder / "var"),
            "DATABASE_URL": self.database_url,
            "PLEDGE_KEYS": self.keys,
        }

    def run(self, arguments: list[str], *, check: bool = True) -> subprocess.CompletedProcess:
        finished = subprocess.run(
            [sys.executable, *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if check and finished.returncode:
            raise AssertionError(f"{arguments} failed:\n{finished.stdout}\n{finished.stderr}")
        return finished

    def pledge(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.run(["-m", "pledge", *arguments], check=check)

    def script(self, script: str, *arguments: str):
        return json.loads(self.run(["-c", script, *arguments]).stdout or "null")

    def verdict(self) -> dict:
        return self.script(VERDICT)

    def export(self, email: str) -> dict:
        return self.script(EXPORT, email)

    def tables(self) -> list[str]:
        return self.script(TABLES)

    @property
    def uploads(self) -> Path:
        return self.folder / "var" / "uploads" / "private"


class Databases:
    """New empty databases of one engine: SQLite files, or databases created on the
    PostgreSQL server of DATABASE_URL and dropped at the end."""

    def __init__(self, engine: str, folder: Path):
        self.engine, self.folder, self.created = engine, folder, []
        if engine == "postgresql":
            self.server = settings.DATABASES["default"]
            self.admin = self.admin_connect()

    def admin_connect(self):
        import psycopg

        server = self.server
        try:
            return psycopg.connect(
                host=server["HOST"] or None,
                port=server["PORT"] or None,
                user=server["USER"] or None,
                password=server["PASSWORD"] or None,
                dbname="postgres",
                autocommit=True,
                connect_timeout=5,
            )
        except psycopg.OperationalError as error:
            pytest.skip(f"PostgreSQL at {server['HOST']}:{server['PORT']} does not answer: {error}")

    def new(self, role: str) -> str:
        """The URL of a new, empty database."""
        name = f"pledge_backup_{uuid4().hex[:10]}_{role}"
        if self.engine == "sqlite":
            return f"sqlite:///{self.folder / f'{name}.sqlite3'}"
        self.admin.execute(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        server = self.server
        password = f":{quote(server['PASSWORD'], safe='')}" if server["PASSWORD"] else ""
        user = f"{quote(server['USER'], safe='')}{password}@" if server["USER"] else ""
        return f"postgres://{user}{server['HOST']}:{server['PORT'] or 5432}/{name}"

    def drop_all(self):
        for name in self.created:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if self.engine == "postgresql":
            self.admin.close()


def two_keys() -> str:
    """A ring that was rotated once: the primary, and a retired key still kept."""
    return f"{new_entry('kprimary')},{new_entry('kretired')}"


@pytest.fixture(scope="module", params=ENGINES)
def databases(request, tmp_path_factory):
    databases = Databases(request.param, tmp_path_factory.mktemp(f"databases-{request.param}"))
    yield databases
    databases.drop_all()


def seeded_site(databases: Databases, folder: Path) -> Site:
    """A migrated site holding the seeded person, their CV, three colleagues, an audit log."""
    site = Site(folder, databases.new("original"), two_keys())
    site.pledge("migrate", "--noinput", "-v0")
    site.run(["-c", SEED])
    return site


@pytest.fixture(scope="module")
def original(databases, tmp_path_factory):
    """The seeded site the tests back up at rest (the drill writes to a site of its own)."""
    return seeded_site(databases, tmp_path_factory.mktemp("original"))


@pytest.fixture(scope="module")
def backup_file(original, tmp_path_factory) -> Path:
    """A backup of the original site, taken at rest."""
    path = tmp_path_factory.mktemp("backups") / "pledge.tar"
    original.pledge("backup", str(path))
    return path


@pytest.fixture
def target(databases, original, tmp_path):
    """A new site with an empty database and the original's key ring, to restore into."""
    return Site(tmp_path / "restored", databases.new("restored"), original.keys)


def manifest_of(path: Path) -> dict:
    with tarfile.open(path) as archive:
        return json.loads(archive.extractfile("manifest.json").read())


def archive_rewrite(source: Path, destination: Path, change) -> None:
    """A copy of the backup with ``change(name, data) -> (name, data)`` applied to each member."""
    with tarfile.open(source) as original, tarfile.open(destination, "w") as copy:
        for member in original.getmembers():
            name, data = change(member.name, original.extractfile(member).read())
            info = tarfile.TarInfo(name)
            info.size = len(data)
            copy.addfile(info, io.BytesIO(data))


def assert_untouched(site: Site, databases: Databases) -> None:
    """The site's database holds no table and its uploads folder no file."""
    if databases.engine == "sqlite":
        assert not Path(site.database_url.removeprefix("sqlite:///")).exists()
    else:
        assert site.tables() == []
    assert not site.uploads.exists() or not any(site.uploads.iterdir())


def progress_of(path: Path) -> int:
    try:
        return int(path.read_text())
    except (FileNotFoundError, ValueError):
        return 0


def wait_for_progress(path: Path, at_least: int, load: subprocess.Popen, log: Path) -> int:
    give_up = time.monotonic() + 120
    while (written := progress_of(path)) < at_least:
        assert load.poll() is None, log.read_text()
        assert time.monotonic() < give_up, f"the load wrote {written} people in 120 s"
        time.sleep(0.05)
    return written


# --- The restore drill -----------------------------------------------------------------------


def test_a_backup_taken_under_write_load_restores_whole(databases, tmp_path):
    original = seeded_site(databases, tmp_path / "original")
    target = Site(tmp_path / "restored", databases.new("restored"), original.keys)
    before = original.verdict()
    progress, stop, log = tmp_path / "progress", tmp_path / "stop", tmp_path / "load.log"
    with log.open("w") as output:
        load = subprocess.Popen(
            [sys.executable, "-c", LOAD, str(progress), str(stop)],
            env=original.environment(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        before_backup = wait_for_progress(progress, LOAD_BEFORE_BACKUP, load, log)
        backup = tmp_path / "under-load.tar"
        written = original.pledge("backup", str(backup))
        after_backup = progress_of(progress)
        wait_for_progress(progress, after_backup + 5, load, log)  # it kept writing to the end
    finally:
        stop.touch()
        try:
            load.wait(timeout=60)
        except subprocess.TimeoutExpired:
            load.kill()
            load.wait()
    assert load.returncode == 0, log.read_text()
    assert "Backup written to" in written.stdout

    manifest = manifest_of(backup)
    head = manifest["audit_head"]
    final = original.verdict()
    # The snapshot holds every write committed before the backup started, and misses those made
    # after it ended: it was taken meanwhile, with the load running.
    seeded_people = 4
    assert seeded_people + before_backup <= manifest["counts"]["people.Person"]
    assert manifest["counts"]["people.Person"] <= seeded_people + after_backup
    assert before["entries"] + 2 * before_backup <= head["sequence"] < final["entries"]

    restored = target.pledge("restore", str(backup))
    assert "Restored the" in restored.stdout
    assert "`pledge audit verify`" in restored.stdout

    target.pledge("audit", "verify")  # exits 1 on a broken chain
    verdict = target.verdict()
    assert verdict == {"intact": True, "entries": head["sequence"], "hash": head["hash"]} | {
        "problem": ""
    }
    export = target.export(ADA)
    assert export == original.export(ADA)
    assert export["files"]["intake.submissions"], "the CV came back with the database"
    assert sorted(path.name for path in target.uploads.iterdir()) == sorted(
        path.name for path in original.uploads.iterdir()
    )


def test_restore_refuses_a_wrong_key_ring_and_writes_nothing(databases, backup_file, tmp_path):
    wrong = Site(
        tmp_path / "wrong-keys",
        databases.new("wrongkeys"),
        new_entry("kprimary"),  # the primary's id, another key; the retired key missing
    )
    refused = wrong.pledge("restore", str(backup_file), check=False)

    assert refused.returncode == 1
    assert "kprimary" in refused.stderr and "kretired" in refused.stderr
    assert "Set PLEDGE_KEYS to the key ring kept with this backup" in refused.stderr
    assert "Nothing was restored" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert_untouched(wrong, databases)


def test_restore_refuses_a_database_that_holds_pledges_tables(original, backup_file):
    before = original.verdict()
    refused = original.pledge("restore", str(backup_file), check=False)

    assert refused.returncode == 1
    assert "already holds Pledge's tables" in refused.stderr
    assert "point DATABASE_URL at" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert original.verdict() == before


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(os.urandom(4096), id="garbage"),
        pytest.param(b"%PDF-1.7 not a backup", id="another-file"),
    ],
)
def test_restore_refuses_a_file_that_is_not_a_pledge_backup(databases, target, tmp_path, content):
    path = tmp_path / "not-a-backup.tar"
    path.write_bytes(content)
    refused = target.pledge("restore", str(path), check=False)

    assert refused.returncode == 1
    assert "is not a Pledge backup" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert_untouched(target, databases)


def test_restore_refuses_a_tar_without_a_manifest(databases, target, backup_file, tmp_path):
    path = tmp_path / "cut.tar"
    archive_rewrite(
        backup_file,
        path,
        lambda name, data: (name, data) if name != "manifest.json" else ("notes.txt", b"hi"),
    )
    refused = target.pledge("restore", str(path), check=False)

    assert refused.returncode == 1
    assert "is not a Pledge backup" in refused.stderr
    assert_untouched(target, databases)


def test_restore_refuses_a_damaged_backup_before_writing(databases, target, backup_file, tmp_path):
    path = tmp_path / "damaged.tar"

    def damage(name, data):
        if name.startswith("database."):
            data = data[:-64] + bytes(64)
        return name, data

    archive_rewrite(backup_file, path, damage)
    refused = target.pledge("restore", str(path), check=False)

    assert refused.returncode == 1
    assert "does not match its checksum" in refused.stderr
    assert_untouched(target, databases)


def test_restore_refuses_a_backup_of_another_engine(databases, target, backup_file, tmp_path):
    path = tmp_path / "other-engine.tar"
    other, member = (
        ("postgresql", "database.pgdump")
        if databases.engine == "sqlite"
        else ("sqlite", "database.sqlite3.gz")
    )

    def relabel(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["engine"], manifest["database"]["member"] = other, member
            return name, json.dumps(manifest).encode()
        return (member if name.startswith("database.") else name), data

    archive_rewrite(backup_file, path, relabel)
    refused = target.pledge("restore", str(path), check=False)

    assert refused.returncode == 1
    assert "This is a backup of a" in refused.stderr and "database, and DATABASE_URL" in (
        refused.stderr
    )
    assert_untouched(target, databases)


# --- The backup file -------------------------------------------------------------------------


def test_the_backup_names_every_key_and_holds_none(original, backup_file):
    content = backup_file.read_bytes()
    manifest = manifest_of(backup_file)

    expected = []
    for entry in original.keys.split(","):
        key_id, _, encoded = entry.partition(":")
        master = base64.urlsafe_b64decode(encoded)
        assert encoded.encode() not in content and master not in content
        check = hmac.new(master, b"pledge backup key check", hashlib.sha256).hexdigest()[:16]
        expected.append({"id": key_id, "check": check})
    assert manifest["keys"] == expected


@pytest.mark.clock  # created_at is UTC whatever the hour in Shanghai
def test_the_manifest_says_what_the_backup_holds(databases, original, backup_file):
    manifest = manifest_of(backup_file)

    assert manifest["format"] == "pledge-backup" and manifest["version"] == 1
    assert manifest["engine"] == databases.engine
    assert manifest["created_at"].endswith("Z")
    assert ["vault", "0001_initial"] in manifest["migrations"]
    assert manifest["counts"]["people.Person"] == 4  # Ada and her three colleagues
    assert manifest["audit_head"]["sequence"] == original.verdict()["entries"]
    assert len(manifest["uploads"]) == 1
    with tarfile.open(backup_file) as archive:
        names = archive.getnames()
        database = archive.extractfile(manifest["database"]["member"]).read()
    assert names[-1] == "manifest.json"
    assert hashlib.sha256(database).hexdigest() == manifest["database"]["sha256"]


def test_the_backup_is_private_and_tells_to_keep_the_key_ring_apart(original, tmp_path):
    path = tmp_path / "private.tar"
    written = original.pledge("backup", str(path))

    assert path.stat().st_mode & 0o777 == 0o600
    assert str(path) in written.stdout
    assert "Keep the key ring (PLEDGE_KEYS: kprimary, kretired) apart from this backup" in (
        written.stdout
    )
    assert "reveals no personal value" in written.stdout
    assert "without it no backup can be read" in written.stdout
    assert sorted(tmp_path.iterdir()) == [path]  # no temporary file left beside it


def test_backup_replaces_an_existing_file_only_when_forced(original, tmp_path):
    path = tmp_path / "existing.tar"
    path.write_text("an older backup")

    refused = original.pledge("backup", str(path), check=False)
    assert refused.returncode == 1
    assert "already exists" in refused.stderr and "--force" in refused.stderr
    assert path.read_text() == "an older backup"

    original.pledge("backup", str(path), "--force")
    assert manifest_of(path)["format"] == "pledge-backup"
    assert sorted(tmp_path.iterdir()) == [path]
