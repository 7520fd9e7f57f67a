"""Spam and abuse defence for the public forms, with no third party (SECURITY.md B1-B4).

A submission passes when its honeypot is empty, its sender is under the rate limits, and it
proves a human or a browser spent effort: either a proof-of-work solution (the page's script
finds the number behind a signed SHA-256 challenge, as ALTCHA does) or, with JavaScript off,
the answer to a small signed sum shown in the form. Challenges expire and are accepted once.
"""

import base64
import contextlib
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, transaction
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from pledge.vault.limits import DatabaseStore, StoreUnavailable, limited_address, limits_store

HONEYPOT_FIELD = "website"
POW_FIELD = "pow"
SUM_FIELD = "human_sum"
SUM_TOKEN_FIELD = "human_sum_token"  # noqa: S105 (a form field name)
CHALLENGE_SECONDS = 30 * 60
POW_MAX_NUMBER = 20_000


class Refused(Exception):
    """A submission the defence turns away; ``reason`` is counted, ``message`` shown."""

    def __init__(self, reason: str, message):
        super().__init__(reason)
        self.reason = reason
        self.message = message


MESSAGES = {
    "honeypot": _(
        "Your message could not be accepted. If you are a person, please write to us by email."
    ),
    "challenge": _(
        "We could not confirm that a person sent this form. "
        "Please answer the small sum and send it again."
    ),
    "rate": _(
        "Too many messages in a short time. "
        "Please wait an hour and try again, or write to us by email."
    ),
    "limiter_down": _("We cannot accept forms for a moment. Please try again in a few minutes."),
}


def refuse(reason: str):
    raise Refused(reason, MESSAGES[reason if reason in MESSAGES else "challenge"])


def signature(value: str) -> str:
    return salted_hmac("pledge.intake.challenge", value, algorithm="sha256").hexdigest()


def spend_once(token: str, seconds: int) -> None:
    """Accept a challenge only once; if the store is down, refuse (fail closed, B4)."""
    try:
        first_use = limits_store().claim(
            f"spent:{hashlib.sha256(token.encode()).hexdigest()}", seconds
        )
    except StoreUnavailable:
        refuse("limiter_down")
    if not first_use:
        refuse("challenge")


# --- Proof of work -------------------------------------------------------------------------


def challenge_issue(now: float | None = None) -> dict:
    """A signed challenge for the page's script: find ``number`` with sha256(salt+number)."""
    expires = int((now or time.time()) + CHALLENGE_SECONDS)
    salt = f"{secrets.token_hex(12)}?expires={expires}"
    number = secrets.randbelow(POW_MAX_NUMBER)
    challenge = hashlib.sha256(f"{salt}{number}".encode()).hexdigest()
    return {
        "algorithm": "SHA-256",
        "challenge": challenge,
        "maxnumber": POW_MAX_NUMBER,
        "salt": salt,
        "signature": signature(challenge),
    }


def solution_valid(payload: str, now: float | None = None) -> bool:
    """True for a fresh, correctly signed, correctly solved and unspent solution."""
    try:
        solution = json.loads(base64.b64decode(payload.encode(), validate=True))
        challenge, salt = str(solution["challenge"]), str(solution["salt"])
        number, given_signature = int(solution["number"]), str(solution["signature"])
        expires = int(salt.rsplit("?expires=", 1)[1])
    except (ValueError, KeyError, TypeError, IndexError):
        return False
    if not hmac.compare_digest(given_signature, signature(challenge)):
        return False
    if expires < (now or time.time()):
        return False
    if hashlib.sha256(f"{salt}{number}".encode()).hexdigest() != challenge:
        return False
    spend_once(challenge, CHALLENGE_SECONDS)
    return True


# --- The small sum, for browsers without JavaScript ------------------------------------------


@dataclass(frozen=True)
class Sum:
    left: int
    right: int
    token: str


def sum_issue(now: float | None = None) -> Sum:
    left, right = 2 + secrets.randbelow(8), 2 + secrets.randbelow(8)
    expires = int((now or time.time()) + CHALLENGE_SECONDS)
    body = f"{left}:{right}:{expires}:{secrets.token_hex(8)}"
    return Sum(left, right, f"{body}:{signature(body)}")


def sum_valid(token: str, answer: str, now: float | None = None) -> bool:
    try:
        left, right, expires, nonce, given = token.split(":")
        body = f"{left}:{right}:{expires}:{nonce}"
        correct = int(left) + int(right)
        expired = int(expires) < (now or time.time())
    except ValueError:
        return False
    if not hmac.compare_digest(given, signature(body)) or expired:
        return False
    if answer.strip() != str(correct):
        return False
    spend_once(body, CHALLENGE_SECONDS)
    return True


# --- Rate limits ---------------------------------------------------------------------------


def limit_key(kind: str, value: str) -> str:
    """A keyed hash, so the limiter's store never holds an address (C4)."""
    return f"rate:{kind}:{salted_hmac('pledge.intake.rate', value).hexdigest()[:32]}"


def rate_hit(kind: str, value: str, *, limit: int, window: int = 3600) -> None:
    """Count one submission for ``value``; refuse past ``limit`` in ``window`` seconds (B3),
    or with ``limiter_down`` while the store does not answer (B4): a store error is never
    taken for a count."""
    key = f"{limit_key(kind, value)}:{int(time.time()) // window}"
    try:
        count = limits_store().increment(key, window)
    except StoreUnavailable:
        refuse("limiter_down")
    if count > limit:
        refuse("rate")


def submission_screen(*, data, client_ip: str, email: str = "") -> None:
    """Run every defence on a posted form; raises ``Refused`` with the message to show."""
    if data.get(HONEYPOT_FIELD):
        refuse("honeypot")
    with counted_together():
        pow_payload = data.get(POW_FIELD, "")
        if not (pow_payload and solution_valid(pow_payload)) and not sum_valid(
            data.get(SUM_TOKEN_FIELD, ""), data.get(SUM_FIELD, "")
        ):
            refuse("challenge")
        rate_hit("ip", limited_address(client_ip), limit=settings.PLEDGE_FORM_LIMIT_PER_IP)
        if email:
            rate_hit("email", email.strip().casefold(), limit=settings.PLEDGE_FORM_LIMIT_PER_EMAIL)


@contextlib.contextmanager
def counted_together():
    """A post's claim and counts committed together when the limits live in the database.

    Each would otherwise be a transaction of its own: on SQLite three waits for the write lock
    per post, where storing the post needs one (bench/bench_forms.py). What is counted is the
    same: a refusal (a spent challenge, a limit reached) is raised after the commit, so a
    refused post still counts (B3); a store that fails rolls back and refuses (B4). With Redis,
    or inside a caller's transaction, each count is made as it comes.
    """
    if not isinstance(limits_store(), DatabaseStore) or (
        transaction.get_connection().in_atomic_block
    ):
        yield
        return
    refused = None
    try:
        with transaction.atomic():
            try:
                yield
            except Refused as error:
                if error.reason == "limiter_down":
                    raise
                refused = error
    except DatabaseError:  # the transaction could not begin or commit: the store is down
        refuse("limiter_down")
    if refused is not None:
        raise refused


# --- What a form page and its view share -----------------------------------------------------


def defence_context() -> dict:
    """What a form page needs for its defence fields (``web/includes/defence_fields.html``):
    a fresh proof-of-work challenge, a fresh sum, and the fields' names."""
    return {
        "challenge": json.dumps(challenge_issue()),
        "sum": sum_issue(),
        "fields": {
            "honeypot": HONEYPOT_FIELD,
            "pow": POW_FIELD,
            "sum": SUM_FIELD,
            "sum_token": SUM_TOKEN_FIELD,
        },
    }


@dataclass(frozen=True)
class Screening:
    """A post screened, then (only if it passed) its form validated."""

    refused: Refused | None = None
    valid: bool = False

    @property
    def message(self):
        return self.refused.message if self.refused is not None else ""

    @property
    def status(self) -> int:
        """The status of the page shown again: 429 when refused, 400 when invalid."""
        return 429 if self.refused is not None else 400


def post_screen(form, *, data, client_ip: str, email_field: str = "email") -> Screening:
    """Screen a post (``submission_screen``, the sender's address from ``email_field``), then
    validate ``form`` only if the post passed: a refused post is never validated."""
    try:
        submission_screen(data=data, client_ip=client_ip, email=str(data.get(email_field, "")))
    except Refused as refused:
        return Screening(refused=refused)
    return Screening(valid=form.is_valid())
