"""The key ring: authenticated encryption of personal values and their blind indexes.

``PLEDGE_KEYS`` holds one or more entries ``id:base64-key`` separated by commas; the first is
the primary key, used for everything written from now on, and the others only decrypt and
match what was written under them (until ``pledge keys rotate`` has moved every value to the
primary). Each entry is a 32-byte master key from which three keys are derived (HKDF-SHA256,
each with its own label): one for AES-256-GCM, one for the HMAC of blind indexes, one for the
HMAC that seals the audit chain and its checkpoints (``audit_key``), so no use weakens another.

A ciphertext reads ``pl1.<key id>.<base64(nonce + sealed value)>``. The associated data binds it
to its column (``people.Person.email``), so a value copied into another column fails to decrypt.
"""

import base64
import hashlib
import hmac
import os
import re
import secrets
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "pl1"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
NONCE_BYTES = 12
DIGEST_CHARACTERS = 32  # 128 bits of HMAC-SHA256, hex


class KeyRingError(ValueError):
    """PLEDGE_KEYS cannot be read; the message says how to fix it."""


class DecryptionError(ValueError):
    """A stored value is not valid ciphertext under any key of the ring (tampered or foreign)."""


@dataclass(frozen=True)
class Key:
    id: str
    cipher: AESGCM
    index_key: bytes
    # Seals audit entries and checkpoints; derived once per ring, so appending costs one HMAC.
    audit_key: bytes


def derive(master: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(master)


def new_entry(key_id: str | None = None) -> str:
    """A fresh key ring entry, ``id:base64-key``, for ``pledge keys generate``."""
    key_id = key_id or f"k{secrets.token_hex(3)}"
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode()}"


class KeyRing:
    def __init__(self, raw: str):
        entries = [entry.strip() for entry in raw.split(",") if entry.strip()]
        if not entries:
            raise KeyRingError(
                "PLEDGE_KEYS is empty: run `pledge keys generate` and set PLEDGE_KEYS "
                "to its output."
            )
        keys = []
        for position, entry in enumerate(entries, start=1):
            key_id, _, encoded = entry.partition(":")
            try:
                master = base64.urlsafe_b64decode(encoded.encode())
            except ValueError:
                master = b""
            if not KEY_ID.match(key_id) or len(master) != 32:
                raise KeyRingError(
                    f"PLEDGE_KEYS entry {position} is not 'id:base64-of-32-bytes': "
                    "run `pledge keys generate` for a valid entry."
                )
            keys.append(
                Key(
                    id=key_id,
                    cipher=AESGCM(derive(master, b"pledge encryption")),
                    index_key=derive(master, b"pledge blind index"),
                    audit_key=derive(master, b"pledge audit chain"),
                )
            )
        if len({key.id for key in keys}) != len(keys):
            raise KeyRingError("PLEDGE_KEYS names the same key id twice: give each key its own id.")
        self.keys = keys
        self.primary = keys[0]
        self.by_id = {key.id: key for key in keys}

    def encrypt(self, plaintext: str, *, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.primary.cipher.encrypt(nonce, plaintext.encode(), context.encode())
        return f"{PREFIX}.{self.primary.id}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, token: str, *, context: str) -> str:
        try:
            prefix, key_id, encoded = token.split(".", 2)
            key = self.by_id[key_id]
            blob = base64.urlsafe_b64decode(encoded.encode())
            if prefix != PREFIX:
                raise ValueError(prefix)
            return key.cipher.decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode()
            ).decode()
        except KeyError:
            raise DecryptionError(
                f"a value in {context} was written under key {key_id!r}, which PLEDGE_KEYS "
                "no longer holds: put that key back in the ring, then run `pledge keys rotate`."
            ) from None
        except (ValueError, InvalidTag):
            raise DecryptionError(f"a value in {context} is not valid ciphertext") from None

    def encrypt_bytes(self, data: bytes, *, context: str) -> bytes:
        """Whole files (CV uploads): ``key id`` NUL ``nonce`` ``sealed bytes``."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.primary.cipher.encrypt(nonce, data, context.encode())
        return self.primary.id.encode() + b"\x00" + nonce + sealed

    def decrypt_bytes(self, blob: bytes, *, context: str) -> bytes:
        key_id, _, rest = blob.partition(b"\x00")
        key = self.by_id.get(key_id.decode(errors="replace"))
        if key is None:
            raise DecryptionError(f"a file in {context} was written under a key the ring lacks")
        try:
            return key.cipher.decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], context.encode())
        except InvalidTag:
            raise DecryptionError(f"a file in {context} is not valid ciphertext") from None

    def key_id_of(self, token: str) -> str:
        return token.split(".", 2)[1]

    def digest(self, normalised: str, *, context: str, key: Key | None = None) -> str:
        """The blind index of a normalised value under ``key`` (the primary by default)."""
        key = key or self.primary
        message = context.encode() + b"\x00" + normalised.encode()
        return hmac.new(key.index_key, message, hashlib.sha256).hexdigest()[:DIGEST_CHARACTERS]

    def digests(self, normalised: str, *, context: str) -> list[str]:
        """The blind index under every key of the ring: what a lookup must match."""
        return [self.digest(normalised, context=context, key=key) for key in self.keys]


@lru_cache(maxsize=4)
def ring_from(raw: str) -> KeyRing:
    return KeyRing(raw)


def current_ring() -> KeyRing:
    """The key ring of the running settings (cached per value of PLEDGE_KEYS)."""
    return ring_from(settings.PLEDGE_KEYS)


# --- Normalisation for blind indexes: what counts as "the same" value -----------------------


def normalise_text(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def normalise_email(value: str) -> str:
    """Case and surrounding spaces never make two people of one address."""
    return normalise_text(value).replace(" ", "")


def normalise_phone(value: str) -> str:
    """Digits only, keeping a leading + (``+86 138-0013-8000`` = ``+8613800138000``)."""
    value = unicodedata.normalize("NFKC", value).strip()
    digits = re.sub(r"\D", "", value)
    return ("+" + digits) if value.startswith("+") else digits


def name_tokens(value: str) -> list[str]:
    """Search tokens of a name: its words, and each Han character of a CJK name.

    王小明 gives 王, 小 and 明, so a search for 小明 finds 王小明.
    """
    tokens = []
    for word in normalise_text(value).split():
        han = [character for character in word if "\u4e00" <= character <= "\u9fff"]
        tokens.extend(han if han and len(han) == len(word) else [word])
    return sorted(set(tokens))
