"""Visitor accounts: created from the declared account form, signed in by email."""

import secrets

from django.contrib.auth import get_user_model, login
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledge.intake.defence import Refused, rate_hit
from pledge.inventory.services import policy_in_force
from pledge.people.backends import EmailAccountBackend
from pledge.people.models import Account, ConsentMethod, Source
from pledge.people.services import person_find_by_email, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_record
from pledge.vault.login_limits import login_address

SIGNING_UP = Actor.visitor("account")
SIGNING_IN = Actor.visitor("account")
# How a visitor came to be signed in, as the audit log records it.
SIGNED_IN_BY = ("password", "registration")

# Sign-in tries per window: for one email address from one client address, and from one client
# address whatever the email (SECURITY.md A5, B3).
SIGN_IN_TRIES = 5
SIGN_IN_TRIES_PER_ADDRESS = 20
SIGN_IN_WINDOW = 15 * 60  # seconds
SIGN_IN_WAIT = gettext_lazy(
    "Too many attempts to log in from your address. Wait %(minutes)s minutes, then try again."
)


@transaction.atomic
def account_create(*, form, language: str, guardian: str):
    from pledge.intake.models import Submission
    from pledge.intake.services import Outcome, answers_of, consents_record

    cleaned = form.cleaned_data
    existing = person_find_by_email(cleaned["email"])
    if existing is not None and hasattr(existing, "account"):
        form.add_error(
            "email",
            _("An account with this address exists already. Log in, or reset your password."),
        )
        return Outcome("invalid", form)
    person, _created = person_upsert(
        actor=SIGNING_UP,
        source=Source.WEB_FORM,
        email=cleaned["email"],
        name=cleaned.get("name", ""),
        language=language,
    )
    user = get_user_model().objects.create_user(
        username=f"visitor-{secrets.token_hex(8)}", password=cleaned["password"]
    )
    Account.objects.create(person=person, user=user)
    version = policy_in_force()
    Submission.objects.create(
        form=form.collection.key,
        person=person,
        answers=answers_of(form.collection, cleaned),
        language=language,
        policy_version=version.number if version else None,
        guardian=guardian,
    )
    consents_record(
        person=person,
        collection=form.collection,
        cleaned=cleaned,
        language=language,
        method=ConsentMethod.GUARDIAN if guardian == "confirmed" else ConsentMethod.FORM,
        policy_version=version.number if version else None,
    )
    audit_record(actor=SIGNING_UP, action="account.created", target=person)
    return Outcome("stored", form, details={"person": person, "user": user})


def account_authenticate(*, request, email: str, password: str):
    """The visitor's user for this email and password, or None; ``Refused`` past the limits.

    Visitors are counted here, apart from the staff console: django-axes sees only the staff
    login, so no visitor's failures can lock a staff member out (A5). The counters are the
    forms' (``rate_hit``: keyed hashes in the limits store, failing closed, B3/B4), and
    count every try before the password is checked. There is none for an email from every
    address together: anyone could then keep its owner out.
    """
    address = login_address(request)  # an IPv6 client by its /64, as at the staff login
    try:
        rate_hit(
            "sign-in",
            f"{email.strip().casefold()} {address}",
            limit=SIGN_IN_TRIES,
            window=SIGN_IN_WINDOW,
        )
        rate_hit("sign-in-ip", address, limit=SIGN_IN_TRIES_PER_ADDRESS, window=SIGN_IN_WINDOW)
    except Refused as refused:
        if refused.reason != "rate":
            raise
        raise Refused("rate", SIGN_IN_WAIT % {"minutes": SIGN_IN_WINDOW // 60}) from None
    return EmailAccountBackend().authenticate(request, email=email, password=password)


def account_sign_in(*, request, user, by: str) -> None:
    """Sign the visitor in: a new session under a new key (Django's ``login`` rotates it, and
    the CSRF token with it, so no session fixed before can be taken over), audited the same
    whether they typed their password or have just created the account."""
    if by not in SIGNED_IN_BY:
        raise ValueError(by)
    login(request, user, backend="pledge.people.backends.EmailAccountBackend")
    audit_record(
        actor=SIGNING_IN,
        action="account.signed_in",
        target=user.visitor_account.person,
        details={"by": by},
    )
