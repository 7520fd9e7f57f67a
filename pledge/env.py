"""Reading settings from the environment.

Every setting has an embedded default that runs after checkout; production overrides it
through an environment variable, or through ``NAME_FILE`` holding the value (for secrets
mounted as files). Nothing here imports Django: settings.py uses it before Django is set up.
"""

import os
import secrets
import sys
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


def env(name: str, default: str = "") -> str:
    """The value of ``name``, or of the file named by ``name_FILE``, or ``default``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = env(name, "")
    if not value:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = env(name, "")
    return int(value) if value.strip() else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def generated_secret(path: Path, make=lambda: secrets.token_urlsafe(50), announce: str = "") -> str:
    """A secret kept in ``path``, created (readable by the owner only) on first use.

    The embedded default needs secrets that survive restarts without the newcomer
    choosing any; production passes its own through the environment instead. ``announce``
    (with ``{path}``) is printed to stderr when the secret is created.
    """
    try:
        return path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    if announce:
        print(announce.format(path=path), file=sys.stderr)
    return value


def email_settings(url: str, var_dir: Path) -> dict:
    """Django email settings from one ``EMAIL_URL``.

    ``smtp://user:password@host:587?tls=1``, ``smtps://...`` (implicit TLS),
    ``console:``, ``file:`` (one file per message under var/mail) and ``outbox:`` (nothing
    leaves; the staff console's outbox shows every message; the embedded default).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme in {"smtp", "smtps"}:
        query = parse_qs(parts.query)
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": parts.hostname or "localhost",
            "EMAIL_PORT": parts.port or (465 if scheme == "smtps" else 25),
            "EMAIL_HOST_USER": unquote(parts.username or ""),
            "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
            "EMAIL_USE_SSL": scheme == "smtps",
            "EMAIL_USE_TLS": query.get("tls", ["0"])[0] in {"1", "true", "yes"},
            "EMAIL_TIMEOUT": 20,
        }
    if scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(var_dir / "mail"),
        }
    if scheme == "outbox":
        return {"EMAIL_BACKEND": "pledge.mail.backends.OutboxBackend"}
    raise ValueError(
        f"EMAIL_URL {url!r} is not understood: use smtp://user:password@host:port, "
        "smtps://user:password@host:port, console:, file: or outbox:."
    )
