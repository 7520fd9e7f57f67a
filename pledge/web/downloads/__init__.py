"""Documents for registered visitors: the gated downloads area."""

from dataclasses import dataclass
from pathlib import Path

from django.utils.translation import gettext_lazy as _

FOLDER = Path(__file__).parent


@dataclass(frozen=True)
class Download:
    name: str
    title: str
    description: str


DOWNLOADS = (
    Download(
        "gonex-product-overview.pdf",
        _("Product overview"),
        _("Gonex's applications for customer management, service desks and workflow automation."),
    ),
)


def download_path(name: str) -> Path | None:
    if name not in {download.name for download in DOWNLOADS}:
        return None
    return FOLDER / name
