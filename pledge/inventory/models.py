"""Published policy versions: dated, numbered snapshots that never change (P23)."""

from django.db import models
from django.utils.safestring import mark_safe

from pledge.inventory.loader import snapshot_hash


class PolicyVersionImmutable(Exception):
    """A published policy version was about to be changed or deleted; it never may be."""


class PolicyVersionQuerySet(models.QuerySet):
    """Bulk writes are refused too, so no code path can rewrite what was published."""

    def update(self, **kwargs):
        raise PolicyVersionImmutable("published policy versions cannot be changed")

    def delete(self):
        raise PolicyVersionImmutable("published policy versions cannot be deleted")


class PolicyVersion(models.Model):
    """One published version of the privacy and cookie policies.

    Holds the inventory as declared and every rendered text, so the version stays readable
    exactly as published whatever the site's files become. Created only by
    ``policy_publish``; never updated or deleted (enforced here and by a database trigger).
    """

    number = models.PositiveIntegerField(unique=True)
    published_at = models.DateTimeField()
    material = models.BooleanField(
        help_text="A material change: announced on the site and by email (P23)."
    )
    # The summary of changes, by language code; a language without one falls back to the first.
    summary = models.JSONField()
    published_by = models.CharField(max_length=150)
    content_hash = models.CharField(max_length=64)
    inventory = models.JSONField()  # inventory.toml as parsed
    texts = models.JSONField()  # {"privacy": {"zh-hans": html, "en": html}, "cookies": {...}}

    objects = PolicyVersionQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        get_latest_by = "number"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(number__gte=1), name="inventory_policyversion_number_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"policy version {self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PolicyVersionImmutable(
                f"policy version {self.number} is published: it cannot change"
            )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PolicyVersionImmutable(
            f"policy version {self.number} is published: it cannot be deleted"
        )

    def text(self, document: str, language: str):
        """The document as published in ``language`` (HTML rendered by our own templates)."""
        by_language = self.texts.get(document, {})
        html = by_language.get(language)
        if html is None and by_language:
            html = next(iter(by_language.values()))
        return mark_safe(html or "")  # noqa: S308 (rendered with autoescape at publication)

    def summary_in(self, language: str) -> str:
        return self.summary.get(language) or next(iter(self.summary.values()), "")

    def verify(self) -> bool:
        """True if the stored snapshot still hashes to the published hash."""
        return snapshot_hash(self.inventory, self.texts) == self.content_hash
