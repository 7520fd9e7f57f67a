"""Secrets for emailed links (guardian consent, newsletter confirmation, demo booking).

The link carries a random token; the database keeps only its SHA-256, so a stolen database
opens no link (C4), and a link is found again by hashing what it carries.
"""

import hashlib
import secrets


def link_token() -> tuple[str, str]:
    """A fresh token for a link, and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, link_token_hash(token)


def link_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
