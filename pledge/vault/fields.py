"""Model fields that keep personal values encrypted at rest, and their blind indexes.

Use them like ordinary fields: ``person.email = "a@b.cn"`` reads and writes plaintext in Python,
while the column holds only ciphertext. An encrypted column cannot be searched; declare a
``BlindIndexField(source="email", normalise=normalise_email)`` beside it and look people up with
``Person.objects.filter(email_index__in=lookup_digests(Person, "email_index", value))``,
which matches under every key of the ring.
"""

import json

from django.core.exceptions import FieldError
from django.db import models

from pledge.vault.keys import current_ring

ALLOWED_LOOKUPS = {"isnull"}


def field_context(field: models.Field) -> str:
    """The associated data binding a ciphertext to its column, e.g. ``people.Person.email``."""
    return f"{field.model._meta.label}.{field.name}"


class EncryptedMixin:
    """Encrypts on the way to the database, decrypts on the way back. Empty stays empty."""

    encrypted = True  # the personal-data registry and the dump tests look for this flag

    def get_lookup(self, lookup_name):
        if lookup_name not in ALLOWED_LOOKUPS:
            raise FieldError(
                f"{field_context(self)} is encrypted and cannot be searched with "
                f"'{lookup_name}': filter on its blind index instead."
            )
        return super().get_lookup(lookup_name)

    def encode(self, value) -> str:
        return value

    def decode(self, text: str):
        return text

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return current_ring().encrypt(self.encode(value), context=field_context(self))

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.decode(current_ring().decrypt(value, context=field_context(self)))

    def value_to_string(self, obj):
        return self.encode(self.value_from_object(obj))


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Free text, names, emails, phones, addresses, IP addresses: anything personal."""

    def to_python(self, value):
        return value if value is None else str(value)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON document kept encrypted as a whole (pending submissions, raw mail metadata)."""

    def encode(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def decode(self, text: str):
        return json.loads(text)

    def get_prep_value(self, value):
        if value is None:
            return None
        return current_ring().encrypt(self.encode(value), context=field_context(self))

    def to_python(self, value):
        return value


class BlindIndexField(models.CharField):
    """A keyed HMAC of another field's normalised value, kept up to date on every save.

    ``source`` names the encrypted field; ``normalise`` decides which values count as equal
    (case and spacing for emails, digits for phones). Lookups must match the digest under every
    key of the ring (``lookup_digests``), so search keeps working during a key rotation.
    """

    def __init__(self, *args, source: str = "", normalise=None, unless: str = "", **kwargs):
        self.source = source
        self.normalise = normalise
        # The name of a model attribute that, when truthy, leaves the row out of the index
        # (a message kept under a legal hold after its recipient was erased).
        self.unless = unless
        kwargs.setdefault("max_length", 32)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        if self.normalise is not None:
            kwargs["normalise"] = self.normalise
        if self.unless:
            kwargs["unless"] = self.unless
        return name, path, args, kwargs

    def context(self) -> str:
        return f"{self.model._meta.label}.{self.source}"

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.source)
        if self.unless and getattr(model_instance, self.unless):
            value = ""
        digest = self.digest_of(value) if value else ""
        setattr(model_instance, self.attname, digest)
        return digest

    def digest_of(self, value: str) -> str:
        normalised = self.normalise(value) if self.normalise else value
        return current_ring().digest(normalised, context=self.context()) if normalised else ""

    def lookup_digests(self, value: str) -> list[str]:
        """What to match in a filter: the value's digest under every key of the ring."""
        normalised = self.normalise(value) if self.normalise else value
        if not normalised:
            return []
        return current_ring().digests(normalised, context=self.context())


def lookup_digests(model: type[models.Model], index_field: str, value: str) -> list[str]:
    """``Model.objects.filter(<index_field>__in=lookup_digests(Model, index_field, value))``."""
    return model._meta.get_field(index_field).lookup_digests(value)
