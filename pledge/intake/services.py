"""Receiving a form: the one path from a visitor's post to stored, consented, audited records.

``submission_receive`` screens the post (honeypot, proof of work, rate limits), validates it
against the form built from the inventory, and then, depending on the form: waits for a
guardian (P19), asks the visitor to confirm by email (newsletter, P13), keeps feedback apart
from any person (P20), creates an account, or stores a submission linked to the person it
creates or updates (P04-P07, P11, P17, P23). Every branch writes its audit entry and queues its
mail in the same transaction.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation

from pledge.dates import site_date
from pledge.intake.defence import post_screen
from pledge.intake.forms import DeclaredForm, form_class
from pledge.intake.models import (
    BlockedCount,
    Feedback,
    FeedbackReplyAddress,
    GuardianPending,
    GuardianState,
    StoredFile,
    Submission,
)
from pledge.intake.signals import submission_stored
from pledge.intake.uploads import CheckedFile, HeldFile, upload_store
from pledge.inventory.loader import current_inventory
from pledge.inventory.schema import Collection
from pledge.inventory.services import policy_in_force
from pledge.mail.services import mail_send
from pledge.mail.subscriptions import subscription_request
from pledge.people.models import ConsentMethod, Source
from pledge.people.services import consent_record, person_upsert
from pledge.vault.actors import Actor
from pledge.vault.audit import audit_batch, audit_record
from pledge.vault.tokens import link_token, link_token_hash

GUARDIAN_DAYS = 7
VISITOR = Actor.visitor("form")


@dataclass
class Outcome:
    """What happened to a post, for the page to say: ``kind`` is one of
    stored, guardian_pending, confirm_email, refused, invalid."""

    kind: str
    form: DeclaredForm
    message: str = ""
    details: dict = field(default_factory=dict)


def blocked_count_add(*, form_key: str, reason: str) -> None:
    """Count a refused post for the staff's daily view; nothing of its content is kept."""
    today = site_date()
    counted = BlockedCount.objects.filter(day=today, form=form_key, reason=reason).update(
        count=F("count") + 1
    )
    if not counted:
        BlockedCount.objects.get_or_create(
            day=today, form=form_key, reason=reason, defaults={"count": 1}
        )


def answers_of(collection: Collection, cleaned: dict) -> dict:
    """The declared, non-file, non-consent answers, as stored (P04)."""
    answers = {}
    for declared in collection.field_list:
        value = cleaned.get(declared.key)
        if declared.widget in {"file", "password"} or declared.consent or value in (None, ""):
            continue
        answers[declared.key] = list(value) if isinstance(value, list | tuple) else value
    return answers


def submission_receive(
    *,
    form_key: str,
    data,
    files,
    client_ip: str,
    language: str,
    attribution: dict | None = None,
) -> Outcome:
    """Screen, validate and store one post of ``[forms.<form_key>]`` (see the module doc)."""
    form = form_class(form_key)(data, files)
    form.held_take()  # a file kept from the visitor's earlier post of this form
    screening = post_screen(form, data=data, client_ip=client_ip)
    if screening.refused is not None:
        blocked_count_add(form_key=form_key, reason=screening.refused.reason)
        return Outcome("refused", form, message=str(screening.message))
    if not screening.valid:
        form.held_keep()  # the file sent is not asked for again
        return Outcome("invalid", form)
    collection = form.collection
    cleaned = form.cleaned_data
    band = age_band_of(collection, cleaned)
    if band is not None and band.needs_guardian_consent:
        return guardian_pending_create(form=form, language=language, attribution=attribution)
    guardian = GuardianState.NOT_ASKED
    if band is not None:
        guardian = (
            GuardianState.INVOLVED if band.needs_guardian_involvement else GuardianState.ADULT
        )
    return submission_store(
        form=form,
        language=language,
        attribution=attribution or {},
        guardian=guardian,
        consent_method=ConsentMethod.FORM,
    )


def age_band_of(collection: Collection, cleaned: dict):
    for declared in collection.field_list:
        if declared.widget == "age_band" and cleaned.get(declared.key):
            return current_inventory().minors.age_band(cleaned[declared.key])
    return None


def submission_store(
    *, form: DeclaredForm, language: str, attribution: dict, guardian: str, consent_method: str
) -> Outcome:
    collection = form.collection
    if not collection.links_to_person:
        return feedback_store(form=form, language=language)
    lists_field = next((d for d in collection.field_list if d.widget == "mailing_lists"), None)
    if lists_field is not None:
        subscription_request(
            email=form.cleaned_data["email"],
            lists=form.cleaned_data[lists_field.key],
            language=language,
            consent_text=lists_field.consent_text.get(language),
            actor=VISITOR,
        )
        return Outcome("confirm_email", form)
    if collection.key == "account":
        from pledge.intake.accounts import account_create

        return account_create(form=form, language=language, guardian=guardian)
    return person_submission_store(
        form=form,
        language=language,
        attribution=attribution,
        guardian=guardian,
        consent_method=consent_method,
    )


def person_submission_store(
    *, form: DeclaredForm, language: str, attribution: dict, guardian: str, consent_method: str
) -> Outcome:
    """A submission linked to its person, with files, consents, audit and both emails, in one
    transaction. Its seven audit entries are appended together as it ends (``audit_batch``):
    the log's head, which every writer of the log waits for, is held only for the appends and
    the commit, not for all the work between the first entry and the commit."""
    version = policy_in_force()
    with transaction.atomic(), audit_batch():
        return person_submission_write(
            form=form,
            language=language,
            attribution=attribution,
            guardian=guardian,
            consent_method=consent_method,
            version=version,
        )


def person_submission_write(
    *,
    form: DeclaredForm,
    language: str,
    attribution: dict,
    guardian: str,
    consent_method: str,
    version,
) -> Outcome:
    collection, cleaned = form.collection, form.cleaned_data
    person, created = person_upsert(
        actor=VISITOR,
        source=Source.WEB_FORM,
        email=cleaned.get("email", ""),
        name=cleaned.get("name", ""),
        phone=cleaned.get("phone", ""),
        company=cleaned.get("company") or cleaned.get("employer") or "",
        language=language,
        policy_version=version.number if version else None,
    )
    submission = Submission.objects.create(
        form=collection.key,
        person=person,
        answers=answers_of(collection, cleaned),
        language=language,
        source=Source.WEB_FORM,
        policy_version=version.number if version else None,
        attribution=attribution,
        guardian=guardian,
    )
    files_store(submission=submission, collection=collection, cleaned=cleaned)
    form.held_settle()
    consents_record(
        person=person,
        collection=collection,
        cleaned=cleaned,
        language=language,
        method=consent_method,
        policy_version=version.number if version else None,
    )
    audit_record(
        actor=VISITOR,
        action="submission.received",
        target=submission,
        details={"form": collection.key, "person_created": created},
    )
    submission_stored.send(sender=Submission, submission=submission, person=person)
    notify(submission=submission, person=person, collection=collection, language=language)
    return Outcome("stored", form, details={"submission": submission, "person": person})


def files_store(*, submission: Submission, collection: Collection, cleaned: dict) -> None:
    for declared in collection.field_list:
        checked = cleaned.get(declared.key)
        if declared.widget == "file" and isinstance(checked, HeldFile):
            StoredFile.objects.create(  # sent with an earlier post, held encrypted since
                submission=submission,
                field=declared.key,
                original_name=checked.name,
                mimetype=checked.mimetype,
                size=checked.size,
                stored_name=checked.stored_name,
            )
        if declared.widget == "file" and isinstance(checked, CheckedFile):
            stored_name = upload_store(checked)  # an orphan if this rolls back: see uploads_sweep
            StoredFile.objects.create(
                submission=submission,
                field=declared.key,
                original_name=checked.name,
                mimetype=checked.mimetype,
                size=len(checked.content),
                stored_name=stored_name,
            )


def submission_notice_text(
    language: str, policy_version: int | None, collection: Collection | None = None
) -> str:
    """The sentence every form shows above its button, in the visitor's language (P25), and the
    words its consent to the request is recorded with: it names the purposes sending the form is
    consent to (PIPL Art. 14), and says that anything more has its own box."""
    with translation.override(language):
        inventory = current_inventory()
        uses = [
            str(inventory.use(use).name)
            for use in (collection.request_purposes if collection is not None else ())
            if use in inventory.uses
        ]
        if not uses:
            return translation.gettext(
                "Sending this form means your information is processed under our privacy "
                "policy, version %(number)s."
            ) % {"number": policy_version}
        values = {
            "purposes": translation.gettext("; ").join(uses),
            "number": policy_version,
        }
        if not collection.consent_fields:
            return (
                translation.gettext(
                    "Sending this form means you agree that we use your information for: "
                    "%(purposes)s, under our privacy policy, version %(number)s."
                )
                % values
            )
        return (
            translation.gettext(
                "Sending this form means you agree that we use your information for: %(purposes)s, "
                "under our privacy policy, version %(number)s. Anything more is asked with its own "
                "box, which only you tick; we answer your request whether or not you tick any."
            )
            % values
        )


def consents_record(
    *, person, collection: Collection, cleaned: dict, language: str, method: str, policy_version
) -> None:
    """P17, P25, PIPL Art. 14: what the visitor agreed to, each with the exact words they saw.

    Sending the form, after its notice, is consent only to answering the request: the form's
    ``request_purposes`` whose legal basis is consent, recorded with the notice's words. Anything
    else that needs consent (sales follow-up, sharing with an affiliate, a recipient abroad,
    sensitive information) is consent only from its own ticked box, recorded with that box's
    words under its subject; an unticked box records nothing and the request is answered all the
    same. A guardian's confirmation (P19) records both as the guardian's.
    """
    inventory = current_inventory()
    sent = (
        ConsentMethod.GUARDIAN
        if method == ConsentMethod.GUARDIAN
        else ConsentMethod.FORM_SUBMISSION
    )
    for use in collection.request_purposes:
        if use in inventory.uses and inventory.use(use).legal_basis == "consent":
            consent_record(
                person=person,
                subject=use,
                granted=True,
                text=submission_notice_text(language, policy_version, collection),
                language=language,
                method=sent,
                actor=VISITOR,
                form=collection.key,
                policy_version=policy_version,
            )
    for declared in collection.consent_fields:
        if declared.widget == "checkbox" and cleaned.get(declared.key):
            for subject in declared.consent_subjects:
                consent_record(
                    person=person,
                    subject=subject,
                    granted=True,
                    text=declared.consent_text.get(language),
                    language=language,
                    method=method,
                    actor=VISITOR,
                    form=collection.key,
                    policy_version=policy_version,
                )


def notify(*, submission: Submission, person, collection: Collection, language: str) -> None:
    """The visitor's confirmation in their language, and a note to the service mailbox.

    The confirmation goes to an address no one has confirmed yet, so it carries only what
    the organisation chose (the form's name, what happens next) and nothing the sender typed: a name or a
    message would let anyone make the site mail their words to any address. The staff note carries
    no personal data, only the link to the person in the console.
    """
    with translation.override(language):
        form_name = str(collection.name)
    mail_send(
        kind="submission_received",
        to=person.email,
        language=language,
        context={"form_name": form_name, "form": collection.key},
        actor=VISITOR,
        person=person,
    )
    inventory = current_inventory()
    mail_send(
        kind="staff_submission",
        to=inventory.organization.service_mailbox,
        language=settings.LANGUAGE_CODE,
        context={
            "form": collection.key,
            "form_name": str(collection.name.get(settings.LANGUAGE_CODE)),
            "person_path": reverse("console:person", args=[person.public_id]),
            "organization": str(person.organization) if person.organization_id else "",
            "created_at": submission.created_at,
        },
        actor=VISITOR,
    )


@transaction.atomic
def feedback_store(*, form: DeclaredForm, language: str) -> Outcome:
    """P20: the feedback is kept with no link to any person; a reply address, if given, is kept
    apart and deleted after a short time."""
    collection, cleaned = form.collection, form.cleaned_data
    version = policy_in_force()
    kept_apart = {d.key for d in collection.field_list if d.kept_apart}
    answers = {k: v for k, v in answers_of(collection, cleaned).items() if k not in kept_apart}
    feedback = Feedback.objects.create(
        answers=answers, language=language, policy_version=version.number if version else None
    )
    # The reply address lives as long as its field declares: the period the policy states.
    reply = next((d for d in collection.field_list if d.kept_apart and cleaned.get(d.key)), None)
    if reply is not None:
        FeedbackReplyAddress.objects.create(
            feedback=feedback,
            email=cleaned[reply.key],
            delete_after=timezone.now() + timedelta(days=reply.retention_days),
        )
    audit_record(actor=VISITOR, action="feedback.received", target=feedback)
    return Outcome("stored", form, details={"feedback": feedback})


# --- Minors: nothing is kept until a guardian confirms (P19) ---------------------------------


def guardian_pending_create(*, form: DeclaredForm, language: str, attribution) -> Outcome:
    collection, cleaned = form.collection, form.cleaned_data
    guardian_email = cleaned.get("guardian_email", "")
    if not guardian_email:
        form.add_error(
            "guardian_email" if "guardian_email" in form.fields else None,
            translation.gettext(
                "Enter the email address of a parent or guardian: we ask them to confirm."
            ),
        )
        form.held_keep()
        return Outcome("invalid", form)
    token, digest = link_token()
    with transaction.atomic():
        files = {}
        for declared in collection.field_list:
            checked = cleaned.get(declared.key)
            if declared.widget == "file" and isinstance(checked, HeldFile):
                files[declared.key] = {
                    "stored_name": checked.stored_name,
                    "name": checked.name,
                    "mimetype": checked.mimetype,
                    "size": checked.size,
                }
            if declared.widget == "file" and isinstance(checked, CheckedFile):
                files[declared.key] = {
                    "stored_name": upload_store(checked),
                    "name": checked.name,
                    "mimetype": checked.mimetype,
                    "size": len(checked.content),
                }
        form.held_settle()
        payload = {
            "answers": answers_of(collection, cleaned),
            "consents": [d.key for d in collection.consent_fields if cleaned.get(d.key)],
            "password": cleaned.get("password", ""),
            "files": files,
            "attribution": attribution or {},
        }
        pending = GuardianPending.objects.create(
            form=collection.key,
            payload=payload,
            guardian_email=guardian_email,
            language=language,
            token_hash=digest,
            expires_at=timezone.now() + timedelta(days=GUARDIAN_DAYS),
        )
        with translation.override(language):
            form_name = str(collection.name)
        mail_send(
            kind="guardian_consent",
            to=guardian_email,
            language=language,
            context={
                "form_name": form_name,
                "days": GUARDIAN_DAYS,
            },
            links={"link": reverse("web:guardian", args=[token])},
            actor=VISITOR,
        )
        audit_record(actor=VISITOR, action="guardian.requested", target=pending)
    return Outcome("guardian_pending", form)


def guardian_pending_find(token: str) -> GuardianPending | None:
    """The pending submission behind an emailed link, if it has not expired."""
    return GuardianPending.objects.filter(
        token_hash=link_token_hash(token), expires_at__gt=timezone.now()
    ).first()


def guardian_agreements(pending: GuardianPending) -> list[str]:
    """What a guardian agrees to beyond the answers they read: the form's notice, then the words
    of each box the minor ticked, exactly as ``guardian_confirm`` records them (P17, P19)."""
    collection = current_inventory().form(pending.form)
    version = policy_in_force()
    language = pending.language
    ticked = set(pending.payload.get("consents", ()))
    return [
        submission_notice_text(language, version.number if version else None, collection),
        *(
            declared.consent_text.get(language)
            for declared in collection.consent_fields
            if declared.key in ticked and declared.consent_text is not None
        ),
    ]


def guardian_confirm(*, pending: GuardianPending) -> Outcome:
    """The guardian agreed: store the minor's submission as if sent now, marked confirmed."""
    from django.http import QueryDict

    form_cls = form_class(pending.form)
    data = QueryDict(mutable=True)
    payload = pending.payload
    for key, value in payload["answers"].items():
        if isinstance(value, list):
            data.setlist(key, value)
        else:
            data[key] = value
    for key in payload["consents"]:
        data[key] = "on"
    if payload.get("password"):
        data["password"] = payload["password"]
    form = form_cls(data)
    for declared in form.collection.field_list:  # files were checked at upload time
        if declared.widget == "file":
            form.fields[declared.key].required = False
    if not form.is_valid():
        return Outcome("invalid", form)
    with transaction.atomic():
        outcome = submission_store(
            form=form,
            language=pending.language,
            attribution=payload.get("attribution", {}),
            guardian=GuardianState.CONFIRMED,
            consent_method=ConsentMethod.GUARDIAN,
        )
        submission = outcome.details.get("submission")
        for field_key, stored in payload.get("files", {}).items():
            StoredFile.objects.create(
                submission=submission,
                field=field_key,
                original_name=stored["name"],
                mimetype=stored["mimetype"],
                size=stored["size"],
                stored_name=stored["stored_name"],
            )
        audit_record(actor=Actor.visitor("guardian"), action="guardian.confirmed", target=pending)
        pending.delete()
    return outcome
