"""Test fixtures for any app: an editable copy of the Gonex site in a temporary folder.

Registered for the whole suite by the root conftest.py (pytest_plugins).
"""

import shutil
from pathlib import Path

import pytest
from django.conf import settings

from pledge.inventory.loader import site_cache_clear, site_load
from pledge.inventory.problems import InventoryError


def gonex_directory() -> Path:
    return Path(settings.BASE_DIR) / "sites" / "gonex"


class SiteCopy:
    """A copy of sites/gonex that a test edits, loads and inspects."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.inventory_path = directory / "inventory.toml"

    def edit(self, old: str, new: str, file: str = "inventory.toml") -> None:
        """Replace the one occurrence of ``old``; fails if the text is not there exactly once."""
        path = self.directory / file
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {file}"
        path.write_text(text.replace(old, new), encoding="utf-8")

    def edit_in(self, table: str, old: str, new: str) -> None:
        """Replace ``old`` once inside the TOML table headed ``[table]`` (up to the next one)."""
        text = self.inventory_path.read_text(encoding="utf-8")
        header = f"[{table}]\n"
        start = text.index(header) + len(header)
        end = text.find("\n[", start)
        end = len(text) if end == -1 else end
        block = text[start:end]
        assert block.count(old) == 1, f"{old!r} occurs {block.count(old)} times in [{table}]"
        text = text[:start] + block.replace(old, new) + text[end:]
        self.inventory_path.write_text(text, encoding="utf-8")

    def line_of(self, text: str) -> int:
        """The 1-based line where ``text`` first appears in the inventory."""
        for number, line in enumerate(self.inventory_path.read_text().splitlines(), start=1):
            if text in line:
                return number
        raise AssertionError(f"{text!r} is not in the inventory")

    def load(self):
        return site_load(self.directory)

    def problems(self):
        """The problems loading finds; fails the test if the site loads."""
        try:
            self.load()
        except InventoryError as error:
            return error.problems
        raise AssertionError("the site loaded without problems")


@pytest.fixture
def site_copy(tmp_path):
    directory = tmp_path / "site"
    shutil.copytree(gonex_directory(), directory)
    return SiteCopy(directory)


@pytest.fixture
def use_site(settings, site_copy):
    """Serve the copy: settings.SITE_DIR points at it for this test."""
    settings.SITE_DIR = site_copy.directory
    yield site_copy
    site_cache_clear()
