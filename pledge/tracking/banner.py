"""The consent banner's words, built from the cookie declarations, and their version hash.

The template shows exactly these strings, and a consent record stores the hash of them (with
the text itself, once, in ``BannerText``): the proof says what the visitor read, in their
language, not what the banner says today (DESIGN.md: consent proof).
"""

import hashlib
import json
from dataclasses import dataclass
from functools import lru_cache

from django.utils import translation
from django.utils.translation import gettext, gettext_noop

from pledge.tracking import declarations

CATEGORY_LABELS = {
    "necessary": gettext_noop("Strictly necessary"),
    "preferences": gettext_noop("Preferences"),
    "analytics": gettext_noop("Analytics"),
    "marketing": gettext_noop("Marketing"),
}


@dataclass(frozen=True)
class Category:
    key: str
    label: str
    description: str
    cookie_names: tuple[str, ...]


@dataclass(frozen=True)
class Wording:
    language: str
    title: str
    body: str
    accept_all: str
    reject_all: str
    choose: str
    save: str
    necessary: Category
    categories: tuple[Category, ...]
    signal_note: str

    def as_text(self) -> str:
        """Every word of the banner as one canonical text: what the version hash covers."""
        lines = [self.title, self.body, self.accept_all, self.reject_all, self.choose, self.save]
        for category in (self.necessary, *self.categories):
            lines.append(
                f"{category.label}: {category.description} ({', '.join(category.cookie_names)})"
            )
        lines.append(self.signal_note)
        return "\n".join(lines)

    @property
    def version(self) -> str:
        return hashlib.sha256(
            json.dumps([self.language, self.as_text()], ensure_ascii=False).encode()
        ).hexdigest()


def category_of(key: str, cookies) -> Category:
    return Category(
        key=key,
        label=gettext(CATEGORY_LABELS[key]),
        description=" ".join(str(cookie.description) for cookie in cookies),
        cookie_names=tuple(cookie.name for cookie in cookies),
    )


@lru_cache(maxsize=16)
def _wording(language: str, declarations_hash: str) -> Wording:
    with translation.override(language):
        grouped = declarations.cookies_by_category()
        return Wording(
            language=language,
            title=gettext("Your choice of cookies"),
            body=gettext(
                "We set only strictly necessary cookies unless you agree to more. Refusing "
                "changes nothing else: the whole site works without them. Our web beacon "
                "counts visits anonymously either way, with no cookie and no stored IP address."
            ),
            accept_all=gettext("Accept all"),
            reject_all=gettext("Reject all"),
            choose=gettext("Choose by category"),
            save=gettext("Save my choices"),
            necessary=category_of("necessary", grouped["necessary"]),
            categories=tuple(
                category_of(key, grouped[key]) for key in declarations.choosable_categories()
            ),
            signal_note=gettext(
                "Your browser sends a Global Privacy Control or Do Not Track signal: we treat "
                "it as a refusal of analytics and marketing cookies."
            ),
        )


def banner_wording(language: str | None = None) -> Wording:
    """The banner in ``language`` (the active one by default) under today's declarations."""
    language = language or translation.get_language()
    return _wording(language, declarations.cookie_declarations_hash())
