"""Text declared in every language of the site: ``{ zh-hans = "...", en = "..." }``."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.conf import settings
from django.utils.translation import get_language
from pydantic import GetCoreSchemaHandler
from pydantic_core import PydanticCustomError, core_schema


def site_languages() -> tuple[str, ...]:
    """The language codes every declared text must have (settings.LANGUAGES)."""
    return tuple(code for code, _name in settings.LANGUAGES)


class LocalizedText:
    """One text in each of the site's languages; ``str()`` gives the active language's.

    Templates can print it as they print a string, and the policy rendered under
    ``translation.override(code)`` shows that language. Immutable and comparable.
    """

    __slots__ = ("_values",)

    def __init__(self, values: Mapping[str, str]):
        object.__setattr__(self, "_values", MappingProxyType(dict(values)))

    def __setattr__(self, name, value):
        raise AttributeError("LocalizedText is immutable")

    def get(self, language: str) -> str:
        """The text in ``language``, falling back to the site's default language."""
        if language in self._values:
            return self._values[language]
        return self._values.get(settings.LANGUAGE_CODE, "")

    def __str__(self) -> str:
        return self.get(get_language() or settings.LANGUAGE_CODE)

    def __repr__(self) -> str:
        return f"LocalizedText({dict(self._values)!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, LocalizedText) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(sorted(self._values.items())))

    def __copy__(self) -> "LocalizedText":
        return self  # immutable: a copy is the same text (Django deep-copies form labels)

    def __deepcopy__(self, memo) -> "LocalizedText":
        return self

    def as_dict(self) -> dict[str, str]:
        return dict(self._values)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: GetCoreSchemaHandler):
        return core_schema.no_info_after_validator_function(
            cls._validate,
            core_schema.dict_schema(core_schema.str_schema(), core_schema.str_schema()),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: value.as_dict()
            ),
        )

    @classmethod
    def _validate(cls, values: dict[str, str]) -> "LocalizedText":
        languages = site_languages()
        missing = [code for code in languages if not values.get(code, "").strip()]
        if missing:
            raise PydanticCustomError(
                "missing_translation",
                "the text in {missing} is missing or empty",
                {"missing": ", ".join(missing), "languages": ", ".join(languages)},
            )
        unknown = sorted(set(values) - set(languages))
        if unknown:
            raise PydanticCustomError(
                "unknown_language",
                "{unknown} is not a language of the site",
                {"unknown": ", ".join(unknown), "languages": ", ".join(languages)},
            )
        return cls({code: values[code].strip() for code in languages})
