"""Backups: one file holding a consistent snapshot of the database, and its restore.

``backup_write`` takes the snapshot while the site keeps serving and writing: on SQLite through
SQLite's online backup API (one read transaction, so writers in WAL mode never wait and the copy
is the database at one instant, never a file copied mid-write); on PostgreSQL with ``pg_dump
--format=custom`` inside a repeatable-read transaction whose snapshot it exports, so the
manifest's migrations, counts and audit head describe exactly the rows dumped. The file is a tar:
the database, the encrypted uploads (``MEDIA_ROOT/private``) and, last, ``manifest.json``, which
lists every member with its SHA-256, so a file cut short or damaged is refused before anything
is written. The manifest names each key of the ring by its id and a check value (an HMAC of a
fixed label under the key), never the key: the personal values in a backup stay encrypted, and
only the key ring kept apart from it reads them.

``backup_restore`` puts a backup into an empty database (the one at DATABASE_URL). Every check
comes before the first write: the file is a whole Pledge backup, the key ring holds every key the
backup was written under, the engine is the target's, the target holds no table, no upload
would replace another file. It runs nothing after the restore: migrating and verifying the audit
chain are the operator's next commands.
"""

import base64
import contextlib
import gzip
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from glob import glob
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader

from pledge.intake.uploads import upload_directory
from pledge.vault.keys import ring_from

FORMAT = "pledge-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MANIFEST_MAX_BYTES = 16 * 1024 * 1024
DATABASE_MEMBERS = {"sqlite": "database.sqlite3.gz", "postgresql": "database.pgdump"}
ENGINE_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
UPLOAD_NAME = re.compile(r"^[A-Za-z0-9_-]{1,100}\.bin$", re.ASCII)
KEY_CHECK_LABEL = b"pledge backup key check"
KEY_CHECK_CHARACTERS = 16
# Counted into the manifest (cheap: one COUNT each) and compared after a restore.
COUNTED = {
    "people.Person": ("person", "people"),
    "people.Organization": ("organization", "organizations"),
    "people.Consent": ("consent", "consents"),
    "intake.Submission": ("submission", "submissions"),
    "meetings.Lead": ("lead", "leads"),
    "cases.Case": ("case", "cases"),
    "vault.AuditEntry": ("audit entry", "audit entries"),
}
CHUNK = 1024 * 1024
# libpq reads these; the password goes through the environment, never a command line (ps).
LIBPQ_OPTIONS = {
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
    "sslcert": "PGSSLCERT",
    "sslkey": "PGSSLKEY",
}


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says what to do."""


@dataclass(frozen=True)
class Outcome:
    """A backup written or restored: where, how large, and its manifest."""

    path: Path
    size: int
    manifest: dict
    # After a restore: migrations the code has and the backup lacks, and the reverse.
    migrations_to_apply: list = field(default_factory=list)
    migrations_unknown: list = field(default_factory=list)


# --- What both directions share --------------------------------------------------------------


def engine() -> str:
    """The target database's engine as a manifest names it."""
    if connection.vendor not in ENGINE_NAMES:
        raise BackupError(
            f"Pledge backs up SQLite and PostgreSQL only, not {connection.vendor}: "
            "point DATABASE_URL at one of them."
        )
    return connection.vendor


def key_checks(raw: str) -> dict[str, str]:
    """Each key id of the ring ``raw`` (PLEDGE_KEYS) with its check value.

    The check value is the first 16 hex of HMAC-SHA256(key, label): it tells two keys apart and
    reveals nothing of either. The ring is read by the vault first, so a malformed one raises
    its KeyRingError, which says how to fix it.
    """
    ring_from(raw)
    checks = {}
    for entry in (entry.strip() for entry in raw.split(",") if entry.strip()):
        key_id, _, encoded = entry.partition(":")
        master = base64.urlsafe_b64decode(encoded.encode())
        digest = hmac.new(master, KEY_CHECK_LABEL, hashlib.sha256).hexdigest()
        checks[key_id] = digest[:KEY_CHECK_CHARACTERS]
    return checks


def snapshot_facts(cursor, tables: set[str]) -> dict:
    """Migrations, counts and the audit head, read through ``cursor`` (a DB-API cursor on the
    snapshot itself, or inside the transaction pg_dump shares)."""
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY id")
    migrations = [[app, name] for app, name in cursor.fetchall()]
    counts = {}
    for label in COUNTED:
        table = apps.get_model(label)._meta.db_table
        if table in tables:
            cursor.execute(f'SELECT COUNT(*) FROM "{table}"')  # noqa: S608 (a model's table)
            counts[label] = cursor.fetchone()[0]
    head = {"sequence": 0, "hash": ""}
    head_table = apps.get_model("vault.AuditHead")._meta.db_table
    if head_table in tables:
        cursor.execute(f'SELECT sequence, hash FROM "{head_table}" WHERE id = 1')  # noqa: S608
        row = cursor.fetchone()
        if row:
            head = {"sequence": row[0], "hash": row[1]}
    return {"migrations": migrations, "counts": counts, "audit_head": head}


def sqlite_tables(database: sqlite3.Connection) -> set[str]:
    rows = database.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def sqlite_path() -> Path:
    return Path(connection.settings_dict["NAME"])


def postgres_environment() -> dict:
    """libpq's variables for the database at DATABASE_URL."""
    database = connection.settings_dict
    environment = dict(os.environ)
    for key, variable in (
        ("NAME", "PGDATABASE"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
    ):
        if database.get(key):
            environment[variable] = str(database[key])
    for option, variable in LIBPQ_OPTIONS.items():
        if database.get("OPTIONS", {}).get(option):
            environment[variable] = str(database["OPTIONS"][option])
    return environment


def database_where() -> str:
    """The database at DATABASE_URL, in words (never its password)."""
    database = connection.settings_dict
    if engine() == "sqlite":
        return f"the database at {database['NAME']}"
    return f"the database {database['NAME']} on {database.get('HOST') or 'the local socket'}"


def sentence(words: str) -> str:
    """``words`` starting a sentence: its first letter capital, and nothing else changed."""
    return words[:1].upper() + words[1:]


def client_program(name: str) -> tuple[str, int]:
    """The newest ``pg_dump``/``pg_restore`` on PATH or in /usr/lib/postgresql/*/bin, with its
    major version: a newer client reads and writes every older server's data."""
    candidates = [shutil.which(name), *glob(f"/usr/lib/postgresql/*/bin/{name}")]
    found = []
    for program in filter(None, candidates):
        try:
            answer = subprocess.run(  # noqa: S603 (a PostgreSQL client, no shell)
                [program, "--version"], capture_output=True, text=True, timeout=30, check=True
            ).stdout
        except (OSError, subprocess.SubprocessError):
            continue
        version = re.search(r"(\d+)(?:\.\d+)*", answer)
        found.append((int(version.group(1)) if version else 0, program))
    if not found:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client (Debian: "
            f"`apt install postgresql-client`), the same major version as the server or newer."
        )
    major, program = max(found)
    return program, major


def server_major() -> int:
    return connection.pg_version // 10000


def program_run(arguments: list[str], *, what: str) -> None:
    """Run a PostgreSQL client against DATABASE_URL; its own words on failure."""
    finished = subprocess.run(  # noqa: S603 (no shell; arguments are paths and names)
        arguments, env=postgres_environment(), capture_output=True, text=True, check=False
    )
    if finished.returncode:
        said = " ".join(finished.stderr.strip().splitlines()[-5:]) or "no message"
        raise BackupError(f"{what} failed ({said}).")


class Hashing(io.RawIOBase):
    """A file read through, its SHA-256 computed on the way (what tar reads, or what we write)."""

    def __init__(self, stream):
        self.stream = stream
        self.sha256 = hashlib.sha256()

    def readable(self):
        return True

    def read(self, size=-1):
        data = self.stream.read(size)
        self.sha256.update(data)
        return data


def human_size(size: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


# --- Backing up ------------------------------------------------------------------------------


def sqlite_snapshot(into: Path) -> dict:
    """The live database copied through SQLite's backup API into ``into``; its facts."""
    source_path = sqlite_path()
    if not source_path.is_file():
        raise BackupError(f"There is no database at {source_path}: check DATABASE_URL.")
    source = sqlite3.connect(source_path, timeout=20)
    target = sqlite3.connect(into)
    try:
        # One step (pages=-1) copies every page inside one read transaction: the snapshot is the
        # database at one instant, and writers (WAL) go on meanwhile.
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside
        tables = sqlite_tables(target)
        if "django_migrations" not in tables:
            raise BackupError(
                f"{sentence(database_where())} holds no Pledge tables: check DATABASE_URL."
            )
        return snapshot_facts(target.cursor(), tables) | {"sqlite_version": sqlite3.sqlite_version}
    except sqlite3.Error as error:
        raise BackupError(f"The database at {source_path} cannot be copied: {error}.") from None
    finally:
        target.close()
        source.close()


def postgres_snapshot(into: Path) -> dict:
    """``pg_dump --format=custom`` of the database at DATABASE_URL into ``into``; its facts,
    read in the very snapshot pg_dump dumps."""
    pg_dump, major = client_program("pg_dump")
    try:
        connection.ensure_connection()
        if major < server_major():
            raise BackupError(
                f"{pg_dump} is version {major}, older than the server ({server_major()}): "
                f"install postgresql-client-{server_major()} (or newer)."
            )
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            tables = {name for (name,) in cursor.fetchall()}
            if "django_migrations" not in tables:
                raise BackupError(
                    f"{sentence(database_where())} holds no Pledge tables: check DATABASE_URL."
                )
            facts = snapshot_facts(cursor, tables)
            # pg_dump joins the exported snapshot, which lives as long as this transaction.
            program_run(
                [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={into}"],
                what=f"pg_dump of {database_where()}",
            )
    except DatabaseError as error:
        raise BackupError(
            f"{sentence(database_where())} cannot be read ({str(error).strip()}): check "
            "DATABASE_URL."
        ) from None
    return facts | {"server_version": connection.pg_version, "pg_dump_major": major}


def backup_write(*, path: Path, force: bool = False) -> Outcome:
    """Write a backup of the database at DATABASE_URL and of the uploads to ``path``.

    Guarantees: the database part is one consistent snapshot; the file appears whole or not at
    all (written beside it, then renamed), readable by its owner only (0600); an existing file
    is replaced only with ``force``; the manifest names the keys, never holds one.
    """
    path = Path(path).absolute()
    if path.is_dir():
        raise BackupError(f"{path} is a folder: name the backup file, e.g. {path}/pledge.tar.")
    if path.exists() and not force:
        raise BackupError(
            f"{path} already exists: name another file, or add --force to replace it."
        )
    if not path.parent.is_dir():
        raise BackupError(f"There is no folder {path.parent}: create it first.")
    vendor = engine()
    checks = key_checks(settings.PLEDGE_KEYS)
    created_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as folder:
        os.chmod(folder, 0o700)
        snapshot = Path(folder) / "database"
        if vendor == "sqlite":
            facts = sqlite_snapshot(snapshot)
            member = Path(folder) / DATABASE_MEMBERS["sqlite"]
            with snapshot.open("rb") as plain, gzip.open(member, "wb", compresslevel=6) as packed:
                shutil.copyfileobj(plain, packed, CHUNK)
        else:
            facts = postgres_snapshot(snapshot)
            member = snapshot
        partial = Path(folder) / "backup.tar"
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as archive:
                database = member_add(archive, DATABASE_MEMBERS[vendor], member)
                uploads = uploads_add(archive)
                manifest = {
                    "format": FORMAT,
                    "version": FORMAT_VERSION,
                    "created_at": created_at,
                    "pledge_version": pledge_version(),
                    "engine": vendor,
                    "database": database,
                    **facts,
                    "keys": [{"id": key_id, "check": check} for key_id, check in checks.items()],
                    "uploads": uploads,
                }
                text = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
                archive.addfile(member_info(MANIFEST, len(text)), io.BytesIO(text))
            raw.flush()
            os.fsync(raw.fileno())
        if path.exists() and not force:  # appeared while the snapshot was taken
            raise BackupError(f"{path} appeared meanwhile: name another file, or add --force.")
        os.replace(partial, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)  # the rename itself survives a crash
    finally:
        os.close(directory)
    return Outcome(path=path, size=path.stat().st_size, manifest=manifest)


def member_add(archive: tarfile.TarFile, name: str, source: Path) -> dict:
    """Add ``source`` as ``name``; its size and SHA-256 for the manifest."""
    with source.open("rb") as stream:
        size = os.fstat(stream.fileno()).st_size
        reader = Hashing(stream)
        archive.addfile(member_info(name, size), reader)
    return {"member": name, "size": size, "sha256": reader.sha256.hexdigest()}


def member_info(name: str, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(time.time())
    return info


def uploads_add(archive: tarfile.TarFile) -> list[dict]:
    """Every stored upload (encrypted as it is on disk), taken after the database snapshot: a
    file the snapshot names was there when it was taken; one deleted since (an erasure) is left
    out, one uploaded since comes along unreferenced."""
    added = []
    for stored in sorted(upload_directory().glob("*.bin")):
        if not UPLOAD_NAME.match(stored.name):
            continue
        with contextlib.suppress(FileNotFoundError):
            added.append(member_add(archive, f"uploads/{stored.name}", stored))
    return added


def pledge_version() -> str:
    try:
        return metadata.version("pledge")
    except metadata.PackageNotFoundError:
        return ""


# --- Reading a backup ------------------------------------------------------------------------


@dataclass(frozen=True)
class Backup:
    path: Path
    archive: tarfile.TarFile
    members: dict
    manifest: dict


def not_a_backup(path: Path, why: str) -> BackupError:
    return BackupError(
        f"{path} is not a Pledge backup ({why}): name a file written by `pledge backup`."
    )


@contextlib.contextmanager
def backup_open(path: Path):
    """The backup at ``path`` with its manifest, checked for shape (not yet for content)."""
    path = Path(path).absolute()
    if not path.is_file():
        raise BackupError(f"There is no file at {path}: name the backup file to restore.")
    try:
        archive = tarfile.open(path, mode="r:*")  # noqa: SIM115 (closed below)
    except (tarfile.TarError, OSError, EOFError):
        raise not_a_backup(path, "it is not a tar archive") from None
    with archive:
        try:
            members = {member.name: member for member in archive.getmembers()}
        except (tarfile.TarError, OSError, EOFError):
            raise not_a_backup(path, "the archive is damaged or cut short") from None
        yield Backup(path, archive, members, manifest_read(path, archive, members))


def manifest_read(path: Path, archive: tarfile.TarFile, members: dict) -> dict:
    member = members.get(MANIFEST)
    if member is None or not member.isfile() or member.size > MANIFEST_MAX_BYTES:
        raise not_a_backup(path, f"it holds no {MANIFEST}; a backup cut short lacks it too")
    try:
        manifest = json.loads(archive.extractfile(member).read())
    except (ValueError, tarfile.TarError, OSError, EOFError):
        raise not_a_backup(path, f"its {MANIFEST} is not readable JSON") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_a_backup(path, f"its {MANIFEST} is not a Pledge manifest")
    version = manifest.get("version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise BackupError(
            f"{path} is a backup of format {version}, written by a newer Pledge than this one "
            f"(format {FORMAT_VERSION}): restore it with that version or newer."
        )
    if not manifest_complete(manifest):
        raise not_a_backup(path, f"its {MANIFEST} lacks what a restore needs")
    return manifest


def manifest_complete(manifest: dict) -> bool:
    """Everything a restore reads is there, of its type; an upload names a file, no path."""
    try:
        return (
            manifest["database"]["member"] == DATABASE_MEMBERS.get(manifest["engine"])
            and all(
                isinstance(entry["member"], str)
                and isinstance(entry["size"], int)
                and isinstance(entry["sha256"], str)
                for entry in [manifest["database"], *manifest["uploads"]]
            )
            and all(
                UPLOAD_NAME.match(entry["member"].removeprefix("uploads/"))
                for entry in manifest["uploads"]
            )
            and all(isinstance(key["id"], str) and key["check"] for key in manifest["keys"])
            and all(len(migration) == 2 for migration in manifest["migrations"])
            and isinstance(manifest["counts"], dict)
            and isinstance(manifest["audit_head"]["sequence"], int)
            and isinstance(manifest["created_at"], str)
        )
    except (KeyError, TypeError, AttributeError):
        return False


def member_verify(backup: Backup, entry: dict) -> None:
    """The member is in the archive, whole: its size and SHA-256 are the manifest's."""
    member = backup.members.get(entry["member"])
    if member is None or not member.isfile():
        raise BackupError(
            f"{backup.path} lacks {entry['member']}, which its manifest lists: the backup is "
            "damaged. Restore another backup."
        )
    digest = hashlib.sha256()
    try:
        stream = backup.archive.extractfile(member)
        while data := stream.read(CHUNK):
            digest.update(data)
    except (tarfile.TarError, OSError, EOFError):
        digest = None
    if member.size != entry["size"] or digest is None or digest.hexdigest() != entry["sha256"]:
        raise BackupError(
            f"{entry['member']} in {backup.path} does not match its checksum: the backup is "
            "damaged. Restore another backup."
        )


def keys_problem(manifest: dict) -> str:
    """Why PLEDGE_KEYS cannot read this backup; "" when it holds every key, unchanged."""
    current = key_checks(settings.PLEDGE_KEYS)
    listed = [key["id"] for key in manifest["keys"]]
    missing = [key["id"] for key in manifest["keys"] if key["id"] not in current]
    different = [
        key["id"]
        for key in manifest["keys"]
        if key["id"] in current and not hmac.compare_digest(current[key["id"]], key["check"])
    ]
    if not missing and not different:
        return ""
    problems = []
    if missing:
        problems.append(f"{keys_named(missing)} {'is' if len(missing) == 1 else 'are'} missing")
    if different:
        problems.append(
            f"{keys_named(different)} in PLEDGE_KEYS {'is' if len(different) == 1 else 'are'} "
            "not the one this backup was written under"
        )
    return (
        f"The key ring does not fit this backup: {' and '.join(problems)}. Set PLEDGE_KEYS to "
        f"the key ring kept with this backup ({keys_named(listed)}), then run `pledge restore` "
        "again. Nothing was restored."
    )


def keys_named(key_ids: list[str]) -> str:
    return ("key " if len(key_ids) == 1 else "keys ") + ", ".join(key_ids)


# --- Restoring -------------------------------------------------------------------------------


def target_tables() -> set[str]:
    """The tables the database at DATABASE_URL holds already (none, for a restore)."""
    if engine() == "sqlite":
        path = sqlite_path()
        if not path.exists():
            return set()
        try:
            with contextlib.closing(sqlite3.connect(path, timeout=20)) as database:
                return sqlite_tables(database)
        except sqlite3.DatabaseError:
            raise BackupError(
                f"{path} is not an SQLite database: point DATABASE_URL at a file that does not "
                "exist yet, e.g. DATABASE_URL=sqlite:////srv/pledge/restored.sqlite3."
            ) from None
    try:
        return set(connection.introspection.table_names())
    except DatabaseError as error:
        raise BackupError(
            f"{sentence(database_where())} does not answer ({str(error).strip()}): create "
            "an empty database (e.g. `createdb pledge_restored`) and point DATABASE_URL at it."
        ) from None


def target_empty_require() -> None:
    tables = target_tables()
    if not tables:
        return
    whose = "Pledge's tables" if "django_migrations" in tables else f"{len(tables)} tables"
    fix = (
        "point DATABASE_URL at a file that does not exist yet, e.g. "
        "DATABASE_URL=sqlite:////srv/pledge/restored.sqlite3"
        if engine() == "sqlite"
        else "create an empty database (e.g. `createdb pledge_restored`) and point "
        "DATABASE_URL at it (postgres://user@host:5432/pledge_restored)"
    )
    raise BackupError(
        f"{sentence(database_where())} already holds {whose}, and a backup is restored "
        "only into an empty database: "
        f"{fix}, then run `pledge restore` again. Nothing was restored."
    )


def uploads_conflicts(manifest: dict, backup: Backup) -> list[str]:
    """Uploads of the backup that would replace a different file of the same name."""
    conflicts = []
    folder = upload_directory()
    for entry in manifest["uploads"]:
        existing = folder / entry["member"].removeprefix("uploads/")
        if existing.exists():
            with existing.open("rb") as stream:
                if hashlib.file_digest(stream, "sha256").hexdigest() != entry["sha256"]:
                    conflicts.append(existing.name)
    return conflicts


def backup_restore(*, path: Path) -> Outcome:
    """Restore the backup at ``path`` into the empty database at DATABASE_URL, and its uploads.

    Guarantees: nothing is written unless every check passed first (a whole Pledge backup, the
    key ring it was written under, the same engine, an empty database, no upload replacing
    another file); the database part goes in as one transaction (SQLite's backup API,
    ``pg_restore --single-transaction``); the restored counts and audit head are the manifest's.
    Runs no migration and writes no audit entry: the restored chain is the one backed up.
    """
    with backup_open(path) as backup:
        manifest = backup.manifest
        if manifest["engine"] != engine():
            raise BackupError(
                f"This is a backup of a {ENGINE_NAMES[manifest['engine']]} database, and "
                f"DATABASE_URL points to a {ENGINE_NAMES[engine()]} one: restore it into an "
                f"empty {ENGINE_NAMES[manifest['engine']]} database. Nothing was restored."
            )
        problem = keys_problem(manifest)
        if problem:
            raise BackupError(problem)
        target_empty_require()
        for entry in [manifest["database"], *manifest["uploads"]]:
            member_verify(backup, entry)
        conflicts = uploads_conflicts(manifest, backup)
        if conflicts:
            raise BackupError(
                f"The uploads folder {upload_directory()} already holds other files named as "
                f"this backup's ({', '.join(conflicts[:3])}): restore with PLEDGE_VAR set to a "
                "new folder. Nothing was restored."
            )
        stream = backup.archive.extractfile(backup.members[manifest["database"]["member"]])
        restore = sqlite_restore if engine() == "sqlite" else postgres_restore
        facts = restore(stream)
        expected = {key: manifest[key] for key in ("migrations", "counts", "audit_head")}
        if facts != expected:
            raise BackupError(
                f"What was restored into {database_where()} does not match the backup's "
                "manifest (migrations, counts or audit head differ): the backup is damaged. "
                "Empty the database and restore another backup."
            )
        uploads_restore(backup)
    to_apply, unknown = migrations_compare(manifest)
    return Outcome(
        path=backup.path,
        size=backup.path.stat().st_size,
        manifest=manifest,
        migrations_to_apply=to_apply,
        migrations_unknown=unknown,
    )


def sqlite_restore(stream) -> dict:
    """Write the snapshot into the (absent or empty) database file through SQLite's backup
    API, which replaces its content in one transaction."""
    path = sqlite_path()
    created = not path.exists()
    if created:  # readable by its owner only from its first byte
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with tempfile.TemporaryDirectory(dir=path.parent, prefix=f".{path.name}.") as folder:
            snapshot = Path(folder) / "database"
            with gzip.open(stream) as unpacked, snapshot.open("wb") as plain:
                shutil.copyfileobj(unpacked, plain, CHUNK)
            with (
                contextlib.closing(sqlite3.connect(snapshot)) as source,
                contextlib.closing(sqlite3.connect(path, timeout=20)) as target,
            ):
                source.backup(target)
                target.execute("PRAGMA journal_mode=WAL")
                facts = snapshot_facts(target.cursor(), sqlite_tables(target))
    except (sqlite3.Error, OSError, EOFError) as error:
        if created:
            for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                leftover.unlink(missing_ok=True)
        raise BackupError(f"The database could not be written to {path}: {error}.") from None
    return {key: facts[key] for key in ("migrations", "counts", "audit_head")}


def postgres_restore(stream) -> dict:
    """``pg_restore`` into the empty database at DATABASE_URL, in one transaction."""
    pg_restore, _major = client_program("pg_restore")
    with tempfile.TemporaryDirectory(prefix="pledge-restore-") as folder:
        dump = Path(folder) / "database.pgdump"
        descriptor = os.open(dump, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as written:
            shutil.copyfileobj(stream, written, CHUNK)
        program_run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                f"--dbname={connection.settings_dict['NAME']}",
                str(dump),
            ],
            what=f"pg_restore into {database_where()} (it ran as one transaction: nothing was "
            "restored)",
        )
    with connection.cursor() as cursor:
        facts = snapshot_facts(cursor, set(connection.introspection.table_names(cursor)))
    return {key: facts[key] for key in ("migrations", "counts", "audit_head")}


def uploads_restore(backup: Backup) -> None:
    """Each upload written whole (beside, then renamed), readable by its owner only."""
    folder = upload_directory()
    for entry in backup.manifest["uploads"]:
        target = folder / entry["member"].removeprefix("uploads/")
        if target.exists():
            continue  # the same file, checked before
        partial = target.with_suffix(".restoring")
        partial.unlink(missing_ok=True)  # left by an interrupted restore
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as written:
            shutil.copyfileobj(backup.archive.extractfile(entry["member"]), written, CHUNK)
        partial.replace(target)


def migrations_compare(manifest: dict) -> tuple[list[str], list[str]]:
    """Migrations this code has that the backup lacks (run `pledge migrate`), and the ones
    the backup has that this code does not know (it comes from a newer Pledge)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    on_disk = loader.disk_migrations
    applied = {tuple(migration) for migration in manifest["migrations"]}
    to_apply = [
        f"{app}.{name}"
        for (app, name), migration in sorted(on_disk.items())
        if (app, name) not in applied
        and not (migration.replaces and all(tuple(old) in applied for old in migration.replaces))
    ]
    unknown = [f"{app}.{name}" for app, name in sorted(applied - set(on_disk))]
    return to_apply, unknown


def quantity(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count == 1 else plural}"


def counts_words(manifest: dict) -> str:
    """The manifest's counts in words: "3 people, 1 organization, ..."."""
    return ", ".join(
        quantity(count, *COUNTED.get(label, (label, label)))
        for label, count in manifest["counts"].items()
    )
