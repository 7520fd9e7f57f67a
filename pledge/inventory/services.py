"""Policy versions: publishing one, finding the one in force, reading and comparing them.

Other apps stamp the records they create with ``policy_in_force()`` (P23: each record
remembers the version it was collected under).
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from pledge.inventory.diff import PolicyDiff, policy_texts_diff
from pledge.inventory.loader import Site, current_site, plain_texts
from pledge.inventory.models import PolicyVersion
from pledge.inventory.rendering import DOCUMENTS


class NothingToPublish(Exception):
    """The declarations and texts are exactly those of the version in force."""

    def __init__(self, version: PolicyVersion):
        self.version = version
        super().__init__(
            f"Nothing to publish: the inventory and the policy texts are the same as version "
            f"{version.number}, published on {timezone.localtime(version.published_at):%Y-%m-%d}. "
            "Change the site's inventory.toml or its policy texts first, then publish again."
        )


def policy_in_force() -> PolicyVersion | None:
    """The latest published version, or None before the first publication.

    Records created now are collected under this version; stamp them with it. Its snapshot
    (``inventory``, ``texts``: every rendered document in every language) is read only when
    used: every form post and page stamps or names the version, few read the whole snapshot.
    """
    return PolicyVersion.objects.defer("inventory", "texts").order_by("-number").first()


def policy_version_get(*, number: int) -> PolicyVersion:
    """Version ``number``; PolicyVersion.DoesNotExist if it was never published."""
    return PolicyVersion.objects.get(number=number)


def policy_versions() -> list[PolicyVersion]:
    """Every published version, newest first."""
    return list(PolicyVersion.objects.order_by("-number"))


@transaction.atomic
def policy_publish(
    *,
    summary: dict[str, str],
    material: bool,
    published_by: str,
    site: Site | None = None,
) -> PolicyVersion:
    """Publish the site's current declarations and texts as the next version.

    Guarantees: the new version holds the inventory as declared and every document rendered
    in every language, with their SHA-256; numbers run 1, 2, 3 ... without gaps; a snapshot
    identical to the version in force is refused with NothingToPublish. Loading the site
    raises InventoryError if it is broken, so a broken policy is never published.
    """
    site = site or current_site()
    summary = {
        language: text.strip() for language, text in summary.items() if text and text.strip()
    }
    if not summary:
        raise ValueError("A policy version needs a summary of what changed.")
    in_force = PolicyVersion.objects.select_for_update().order_by("-number").first()
    if in_force is not None and in_force.content_hash == site.content_hash:
        raise NothingToPublish(in_force)
    try:
        with transaction.atomic():
            return PolicyVersion.objects.create(
                number=(in_force.number + 1) if in_force else 1,
                published_at=timezone.now(),
                material=material,
                summary=summary,
                published_by=published_by,
                content_hash=site.content_hash,
                inventory=site.data,
                texts=plain_texts(site.texts),
            )
    except IntegrityError:
        raise RuntimeError(
            "Another version was published at the same moment; run the command again."
        ) from None


@dataclass(frozen=True)
class CurrentPolicy:
    """What the policy pages show: today's text and how it relates to the published versions."""

    text: SafeString
    in_force: PolicyVersion | None
    published: bool  # True if the text is exactly the version in force


def policy_current(*, document: str, language: str) -> CurrentPolicy:
    """The document as the site's declarations render it now, and the version in force.

    The page always shows what the code enforces; ``published`` is False while a change to
    the declarations waits for ``pledge policy publish``.
    """
    if document not in DOCUMENTS:
        raise ValueError(f"unknown policy document {document!r}")
    site = current_site()
    texts = site.texts[document]
    text = texts.get(language) or next(iter(texts.values()))
    in_force = policy_in_force()
    published = in_force is not None and in_force.content_hash == site.content_hash
    return CurrentPolicy(text=mark_safe(text), in_force=in_force, published=published)  # noqa: S308


def policy_diff(*, older: PolicyVersion, newer: PolicyVersion, language: str) -> PolicyDiff:
    """What changed from ``older`` to ``newer``: each document's text, and the declarations."""
    return policy_texts_diff(older=older, newer=newer, language=language, documents=DOCUMENTS)
