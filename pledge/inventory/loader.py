"""Loading a site directory: its inventory.toml, policy prose and site.toml, checked together.

``current_inventory()`` is what the rest of Pledge calls. It returns the typed, frozen
``Inventory`` of ``settings.SITE_DIR`` (``PLEDGE_SITE``), loaded once and loaded again only
when a file of the site directory changes. A site that does not load raises ``InventoryError``
naming every problem; the system check in ``checks.py`` turns them into start-up errors.

``site.toml`` (``SiteProfile``) holds what the public pages and emails say beyond the policy:
the home and careers pages' words, the emails' brand colour and sender, the downloads. With
``static/site.css`` and ``static/logo.svg`` (served as ``site/...``) and ``downloads/`` it makes
everything that names the organisation come from the site folder; templates read it through
``site`` (the web's context processor, and ``{% current_site as site %}`` in emails).
"""

import hashlib
import json
import os
import re
import threading
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from functools import cached_property
from pathlib import Path
from types import UnionType
from typing import Union, get_args, get_origin

from django.conf import settings
from pydantic import BaseModel, ValidationError

from pledge.inventory.lines import TomlLines, join_key, split_key
from pledge.inventory.problems import InventoryError, Problem
from pledge.inventory.rules import inventory_problems
from pledge.inventory.schema import Inventory, SiteProfile
from pledge.inventory.taxonomy import closest

INVENTORY_FILE = "inventory.toml"
POLICY_FOLDER = "policy"
PROFILE_FILE = "site.toml"
STATIC_FOLDER = "static"  # served under /static/site/ (settings.STATICFILES_DIRS)
STATIC_FILES = ("site.css", "logo.svg")
DOWNLOADS_FOLDER = "downloads"


@dataclass(frozen=True)
class Site:
    """A loaded site directory: the declarations, their source and the policy texts."""

    directory: Path
    source: str  # inventory.toml as written
    data: dict  # inventory.toml as parsed, JSON-compatible: what a policy version snapshots
    inventory: Inventory
    texts: Mapping = field(default_factory=dict)  # document -> language -> rendered HTML
    signature: tuple = ()
    profile: SiteProfile | None = None  # site.toml: the pages' and emails' own words

    @property
    def inventory_path(self) -> Path:
        return self.directory / INVENTORY_FILE

    # What pages and emails print about the organisation (``site.name``, ``site.mailbox``...).

    @property
    def name(self):
        """The organisation's name (LocalizedText: prints in the active language)."""
        return self.inventory.organization.name

    @property
    def legal_name(self):
        """The legal entity (the inventory's, which the policy prints; else site.toml's), or
        the name when none is declared."""
        return (
            self.inventory.organization.legal_name
            or (self.profile and self.profile.legal_name)
            or self.name
        )

    @property
    def domain(self) -> str:
        return self.inventory.organization.domain

    @property
    def mailbox(self) -> str:
        """The service mailbox: where people write with questions and requests."""
        return self.inventory.organization.service_mailbox

    @property
    def postal_address(self):
        return self.inventory.organization.postal_address

    @property
    def sender(self) -> str:
        """The From of the site's emails."""
        if self.profile and self.profile.sender:
            return self.profile.sender
        # Quoted as a mail header needs it: a name with a comma or brackets stays whole.
        return str(
            Address(display_name=self.name.get(settings.LANGUAGE_CODE), addr_spec=self.mailbox)
        )

    @property
    def colours(self):
        return self.profile.colours if self.profile else None

    @property
    def home(self):
        return self.profile.home if self.profile else None

    @property
    def careers(self):
        return self.profile.careers if self.profile else None

    @property
    def downloads(self) -> Mapping:
        return self.profile.downloads if self.profile else {}

    # The marketing pages (site.toml): products and services, customer stories, about.

    @property
    def offerings(self) -> tuple:
        """The products, then the services, each in the order site.toml declares them."""
        if not self.profile:
            return ()
        declared = tuple(self.profile.offerings.values())
        return tuple(o for o in declared if o.kind == "product") + tuple(
            o for o in declared if o.kind == "service"
        )

    def offering(self, kind: str, key: str):
        """The product or service ``key`` of that kind, or None."""
        found = self.profile.offerings.get(key) if self.profile else None
        return found if found is not None and found.kind == kind else None

    @property
    def stories(self):
        return self.profile.stories if self.profile else None

    @property
    def about(self):
        return self.profile.about if self.profile else None

    @property
    def declared_legal_name(self):
        """The legal entity only as declared (inventory, else site.toml); None when it is not:
        the about page shows what is declared and never stands the name in for it."""
        return self.inventory.organization.legal_name or (
            self.profile.legal_name if self.profile else None
        )

    @property
    def icp_filing(self) -> str:
        return self.profile.icp_filing if self.profile else ""

    @property
    def public_security_filing(self) -> str:
        return self.profile.public_security_filing if self.profile else ""

    @property
    def public_security_code(self) -> str:
        """The filing's digits: the official site's search takes them."""
        return "".join(ch for ch in self.public_security_filing if ch.isdigit())

    def download_path(self, name: str) -> Path | None:
        """The declared download's file, or None if ``name`` is not declared."""
        if name not in self.downloads:
            return None
        return self.directory / DOWNLOADS_FOLDER / name

    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of the declarations and every rendered text: what a version pins."""
        return snapshot_hash(self.data, self.texts)


def plain_texts(texts: Mapping) -> dict:
    """Rendered texts as plain dicts of strings (for JSON)."""
    return {document: {k: str(v) for k, v in by.items()} for document, by in texts.items()}


def snapshot_hash(data: dict, texts: Mapping) -> str:
    canonical = json.dumps(
        {"inventory": data, "texts": plain_texts(texts)},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def site_load(directory: Path | str | None = None, *, inventory_path: Path | None = None) -> Site:
    """Load and check a site directory (default ``settings.SITE_DIR``).

    Guarantees: the returned Site's inventory passed the schema, fideslang's taxonomy and
    every rule of ``rules.py``, and its policy texts rendered in every language; otherwise
    ``InventoryError`` is raised with all the problems found, each with file, line and fix.
    ``inventory_path`` checks another file against the directory's policy prose.
    """
    from pledge.inventory.rendering import site_render

    directory = Path(directory or settings.SITE_DIR)
    path = Path(inventory_path or directory / INVENTORY_FILE)
    signature = site_signature(directory, path)
    source = file_read(
        path,
        "E001",
        "the inventory",
        "check PLEDGE_SITE points at the site folder and that it holds inventory.toml "
        "(sites/gonex/ is the example to copy).",
    )
    data, lines, inventory = toml_validate(source, path, Inventory)
    problems = inventory_problems(inventory)
    if problems:
        raise InventoryError([place(problem, path, lines) for problem in problems])
    json_data = json.loads(json.dumps(data, default=str))
    profile = profile_load(directory)
    site = Site(directory, source, json_data, inventory, signature=signature, profile=profile)
    texts = site_render(site)  # raises InventoryError (E040, E041) naming the template
    return Site(directory, source, json_data, inventory, texts, signature, profile)


def toml_validate(source: str, path: Path, model: type[BaseModel]):
    """Parse a site file and check it against ``model``: (data, its lines, the model), or every
    problem placed at its line."""
    data = parse_toml(source, path)
    lines = TomlLines(source)
    try:
        return data, lines, model.model_validate(data)
    except ValidationError as error:
        raise InventoryError(
            [place(problem, path, lines) for problem in schema_problems(error, model)]
        ) from None


def file_read(path: Path, code: str, what: str, fix: str) -> str:
    """A site file's text, or the problem (``code``) that says it cannot be read and the fix."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        problem = f"{what} cannot be read ({error.__class__.__name__}: {error})."
        raise InventoryError([Problem(code, "", problem, fix, path=path)]) from None


def profile_load(directory: Path) -> SiteProfile:
    """``site.toml`` checked against ``SiteProfile``, and the files it and the pages name."""
    path = directory / PROFILE_FILE
    source = file_read(
        path,
        "E050",
        "the site's page texts",
        "add site.toml to the site folder (copy sites/example/site.toml and write "
        "the organisation's own words).",
    )
    _data, lines, profile = toml_validate(source, path, SiteProfile)
    problems = [
        Problem(
            "E051",
            "",
            f"the site has no {STATIC_FOLDER}/{name}.",
            f"add {STATIC_FOLDER}/{name} to the site folder: "
            + (
                "the pages' colours as CSS variables (copy sites/example/static/site.css)."
                if name == "site.css"
                else "the organisation's logo, an SVG (also the pages' icon)."
            ),
            path=directory / STATIC_FOLDER / name,
        )
        for name in STATIC_FILES
        if not (directory / STATIC_FOLDER / name).is_file()
    ]
    problems += [
        place(
            Problem(
                "E052",
                f'downloads."{name}"',
                f"the download {name} has no file.",
                f"put the file in {DOWNLOADS_FOLDER}/{name}, or remove its declaration.",
            ),
            path,
            lines,
        )
        for name in profile.downloads
        if "/" in name or not (directory / DOWNLOADS_FOLDER / name).is_file()
    ]
    problems += [place(problem, path, lines) for problem in pages_problems(profile, directory)]
    if problems:
        raise InventoryError(problems)
    return profile


def profile_images(profile: SiteProfile):
    """(entry, image) for every picture the pages show."""
    if profile.home.image:
        yield "home.image", profile.home.image
    for key, offering in profile.offerings.items():
        yield join_key(("offerings", key, "image")), offering.image
    for index, story in enumerate(profile.stories.items):
        if story.image:
            yield f"stories.items.{index}.image", story.image
    if profile.about.image:
        yield "about.image", profile.about.image


def pages_problems(profile: SiteProfile, directory: Path) -> list[Problem]:
    """The pages' pictures missing from static/ (E053), stories telling of an offering the
    file does not declare (E054)."""
    problems = [
        Problem(
            "E053",
            entry,
            f"the picture {image.file} is not in {STATIC_FOLDER}/.",
            f"put the file in {STATIC_FOLDER}/{image.file}, or correct the file name.",
            attribute="file",
        )
        for entry, image in profile_images(profile)
        if not (directory / STATIC_FOLDER / image.file).is_file()
    ]
    for index, story in enumerate(profile.stories.items):
        for key in story.offerings:
            if key not in profile.offerings:
                guess = closest(key, list(profile.offerings))
                problems.append(
                    Problem(
                        "E054",
                        f"stories.items.{index}",
                        f"the story tells of '{key}', which is not declared under [offerings].",
                        (f"did you mean '{guess}'? " if guess else "")
                        + "name offerings by their key: "
                        + ", ".join(profile.offerings)
                        + ".",
                        attribute="offerings",
                    )
                )
    return problems


def parse_toml(source: str, path: Path) -> dict:
    try:
        return tomllib.loads(source)
    except tomllib.TOMLDecodeError as error:
        text = str(error)
        match = re.search(r"\(at line (\d+), column (\d+)\)", text)
        line = int(match.group(1)) if match else None
        reason = re.sub(r"\s*\(at .*\)$", "", text)
        where = f"line {line}, column {match.group(2)}" if match else "the end of the file"
        raise InventoryError(
            [
                Problem(
                    "E002",
                    "",
                    f"this is not valid TOML: {reason} at {where}.",
                    "look at that line for a missing quote, bracket or comma, or a key given "
                    'twice; texts are written in double quotes, e.g. name = "Gonex".',
                    path=path,
                    line=line or len(source.splitlines()),
                )
            ]
        ) from None


def place(problem: Problem, path: Path, lines: TomlLines) -> Problem:
    """The problem with its file and line filled in."""
    parts = split_key(problem.entry)
    if problem.attribute:
        parts += (problem.attribute,)
    return Problem(
        problem.code,
        problem.entry,
        problem.message,
        problem.fix,
        path=path,
        line=problem.line or lines.line_of(parts),
        attribute=problem.attribute,
    )


# --- Schema errors in plain words -----------------------------------------------------------

KIND_WORDS = {
    "int": "a whole number, e.g. 30",
    "bool": "true or false",
    "string": 'text in double quotes, e.g. "Gonex"',
    "dict": "a table",
    "model": "a table",
    "tuple": 'a list in brackets, e.g. ["sales"]',
    "list": 'a list in brackets, e.g. ["sales"]',
}


def schema_problems(error: ValidationError, root: type[BaseModel] = Inventory) -> list[Problem]:
    problems = []
    for detail in error.errors():
        location = tuple(part for part in detail["loc"])
        kind = detail["type"]
        info = field_info_at(location, root)
        description = (info.description if info else None) or "see sites/gonex/inventory.toml"
        attribute = str(location[-1]) if location else ""
        entry = join_key(location[:-1])
        if kind == "missing":
            problems.append(
                Problem(
                    "E003",
                    entry,
                    f"{attribute} is missing.",
                    f"add `{attribute} = ...`: {description}.",
                    attribute=attribute,
                )
            )
        elif kind == "extra_forbidden":
            known = known_names(location[:-1], root)
            guess = closest(attribute, known)
            problems.append(
                Problem(
                    "E004",
                    entry,
                    f"'{attribute}' is not something {entry or 'the file'} can declare.",
                    (f"did you mean '{guess}'? " if guess else "remove it or check its spelling; ")
                    + "it can declare: "
                    + ", ".join(known)
                    + ".",
                    attribute=attribute,
                )
            )
        elif kind in ("missing_translation", "unknown_language"):
            context = detail.get("ctx", {})
            problems.append(
                Problem(
                    "E006",
                    entry,
                    f"{attribute}: {detail['msg']}.",
                    f"write it in every language of the site ({context.get('languages')}), "
                    f'e.g. {attribute} = {{ zh-hans = "…", en = "…" }}.',
                    attribute=attribute,
                )
            )
        else:
            expected = next(
                (words for prefix, words in KIND_WORDS.items() if kind.startswith(prefix)), None
            )
            if kind == "literal_error":
                expected = "one of " + detail["ctx"]["expected"]
            elif kind == "string_pattern_mismatch":
                expected = description
            given = detail.get("input")
            problems.append(
                Problem(
                    "E005",
                    entry,
                    f"{attribute} is {given!r}, but it must be {expected or detail['msg']}.",
                    f"set {attribute} to {description}.",
                    attribute=attribute,
                )
            )
    return problems


def _unwrap(annotation):
    while True:
        origin = get_origin(annotation)
        if origin is Union or origin is UnionType:  # Optional[X], and X | None
            annotation = next(arg for arg in get_args(annotation) if arg is not type(None))
        elif hasattr(annotation, "__metadata__"):
            annotation = get_args(annotation)[0]
        else:
            return annotation


def _model_at(location, root: type[BaseModel] = Inventory):
    """The model class a location points into, or None."""
    current = root
    for part in location:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = _model_field(current, part)
            if info is None:
                return None
            current = info.annotation
        elif get_origin(current) in (Mapping, dict):
            current = get_args(current)[1]
        elif get_origin(current) in (tuple, list):
            current = get_args(current)[0]
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _model_field(model, name):
    for field_name, info in model.model_fields.items():
        if name in (field_name, info.alias):
            return info
    return None


def field_info_at(location, root: type[BaseModel] = Inventory):
    model = _model_at(location[:-1], root) if location else None
    return _model_field(model, location[-1]) if model else None


def known_names(location, root: type[BaseModel] = Inventory) -> list[str]:
    model = _model_at(location, root)
    if model is None:
        return []
    return [info.alias or name for name, info in model.model_fields.items() if name != "key"]


# --- The current site, cached ---------------------------------------------------------------


def site_signature(directory: Path, inventory_path: Path | None = None) -> tuple:
    """Size and modification time of every file of the site: what a reload watches.

    Taken at every ``current_site()``, many times a request: read with ``os.scandir``, whose
    entries carry their type, rather than ``Path.rglob`` (five times the cost, measured by
    bench/bench_forms.py's profile).
    """
    signature = []
    for path in (inventory_path or directory / INVENTORY_FILE, directory / PROFILE_FILE):
        try:
            status = os.stat(path)
        except OSError:
            signature.append((str(path), None, None))
        else:
            signature.append((str(path), status.st_mtime_ns, status.st_size))
    for folder in (POLICY_FOLDER, STATIC_FOLDER, DOWNLOADS_FOLDER):
        found: list[tuple] = []
        _folder_signature(os.path.join(directory, folder), found)
        signature.extend(sorted(found))
    return tuple(signature)


def _folder_signature(folder: str, found: list) -> None:
    """Every file below ``folder`` as (path, mtime, size), as ``rglob`` walks it: into
    subfolders but not through a link to one; a linked file counts as its target."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                _folder_signature(entry.path, found)
            elif entry.is_file():
                status = entry.stat()
                found.append((entry.path, status.st_mtime_ns, status.st_size))
        except OSError:
            found.append((entry.path, None, None))


_lock = threading.Lock()
_loaded: dict[Path, Site] = {}


def current_site() -> Site:
    """The site of ``settings.SITE_DIR``, loaded again when one of its files changed."""
    directory = Path(settings.SITE_DIR)
    signature = site_signature(directory)
    site = _loaded.get(directory)
    if site is not None and site.signature == signature:
        return site
    with _lock:
        site = _loaded.get(directory)
        if site is None or site.signature != signature:
            site = site_load(directory)
            _loaded[directory] = site
        return site


def current_inventory() -> Inventory:
    """The inventory in force on this server: typed, frozen, cached.

    Raises InventoryError when the site's files are broken (start-up checks stop first).
    """
    return current_site().inventory


def site_cache_clear() -> None:
    """Forget loaded sites, e.g. after a test changes settings that name cookies."""
    with _lock:
        _loaded.clear()
