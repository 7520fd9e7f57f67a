"""Documents for registered visitors: the gated downloads area.

The site folder declares them (``site.toml``'s ``[downloads."<file>"]``) and holds their files
in ``downloads/``; nothing here names an organisation.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pledge.inventory.loader import current_site


@dataclass(frozen=True)
class Download:
    name: str
    title: str
    description: str


class SiteDownloads(Sequence):
    """The current site's downloads, read at each use (the site folder may change)."""

    def _items(self) -> tuple[Download, ...]:
        return tuple(
            Download(name, item.title, item.description)
            for name, item in current_site().downloads.items()
        )

    def __getitem__(self, index):
        return self._items()[index]

    def __len__(self) -> int:
        return len(self._items())


DOWNLOADS = SiteDownloads()


def download_path(name: str) -> Path | None:
    """The declared document's file, or None if the site declares no such download."""
    return current_site().download_path(name)
