"""Visitor accounts: created from the declared account form, signed in by email."""

import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from pledge.inventory.services import policy_in_force
from pledge.people.models import Account, ConsentMethod, Source
from pledge.people.services import person_find_by_email, person_upsert
from pledge.vault.audit import audit_record


@transaction.atomic
def account_create(*, form, language: str, guardian: str):
    from pledge.intake.models import Submission
    from pledge.intake.services import VISITOR, Outcome, answers_of, consents_record

    cleaned = form.cleaned_data
    existing = person_find_by_email(cleaned["email"])
    if existing is not None and hasattr(existing, "account"):
        form.add_error(
            "email",
            _("An account with this address exists already. Log in, or reset your password."),
        )
        return Outcome("invalid", form)
    person, _created = person_upsert(
        actor=VISITOR,
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
    audit_record(actor=VISITOR, action="account.created", target=person)
    return Outcome("stored", form, details={"person": person, "user": user})
