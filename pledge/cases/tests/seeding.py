"""One person with a record in every personal table, set up through the real services.

``seed_everything`` returns the person and the needles (values that identify them) that the
completeness test looks for in the export and must not find anywhere after erasure. When an app
adds a personal table, its provider's model shows up in ``covered_models()`` and the
completeness test fails until a record is seeded here.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.utils import timezone

from pledge.cases.disclosures import disclosure_record
from pledge.cases.models import CaseChannel, Identity
from pledge.cases.portal import link_create
from pledge.cases.services import case_open
from pledge.conftest import make_staff
from pledge.inbox.services import inbound_receive
from pledge.intake.models import GuardianPending, ImportBatch, StoredFile, Submission
from pledge.intake.uploads import CheckedFile, upload_store
from pledge.mail.models import (
    Campaign,
    CampaignRecipient,
    RecipientStatus,
    Subscription,
    SubscriptionRequest,
    SubscriptionStatus,
)
from pledge.mail.services import mail_send
from pledge.mail.suppressions import address_suppress
from pledge.meetings.models import Expert, Lead, LeadNote, Meeting
from pledge.people.models import Account, ConsentMethod, OptOutKind, Provenance
from pledge.people.optouts import opt_out_set
from pledge.people.services import consent_record, person_upsert
from pledge.tracking.models import BannerText, ConsentRecord, PageView, Visitor
from pledge.vault.actors import Actor

PDF = b"%PDF-1.7\n% CV of a seeded person\ntrailer << >>\n%%EOF\n"


@dataclass
class Seeded:
    person: object
    needles: dict[str, str] = field(default_factory=dict)
    stored_names: list[str] = field(default_factory=list)


def deletion_case(person, officer):
    """A deletion request the officer opened from an email, the requester's identity checked:
    what the console's erase acts on."""
    return verified_case(person, officer, kind="deletion")


def verified_case(person, officer, *, kind: str):
    """A request about ``person`` the officer opened from an email and verified: what staff
    act on the person's data through."""
    return case_open(
        kind=kind,
        channel=CaseChannel.EMAIL,
        actor=Actor.staff(officer),
        requester_email=person.email,
        person=person,
        identity=Identity.VERIFIED_STAFF,
        acknowledge=False,
    )


def seed_everything(tag: str) -> Seeded:
    """A person ``tag`` with one record in every personal table; ``tag`` keeps two apart."""
    email = f"{tag}.everything@{tag}-corp.cn"
    needles = {
        "email": email,
        "name": f"{tag.title()} Every{tag}",
        "phone": f"+86 139 {abs(hash(tag)) % 10_000:04d} 0101",
        "company": f"{tag.title()} Robotics",
        "answer": f"We need a {tag} service desk",
        "consent_words": f"Yes, send {tag} news",
        "message_subject": f"Welcome {tag}",
        "signup_words": f"Sign {tag} up",
        "pending_answer": f"{tag} minor's question",
        "case_details": f"Please show me everything, {tag}",
        "file_name": f"{tag}-cv.pdf",
        "typed_at_login": email.upper(),
        "signed_in_browser": f"{tag.title()}Browser/1.0",
        "lead_note": f"{tag} wants it before June",
        "import_row_name": f"{tag.title()} From A List",
        "visited_path": f"/en/{tag}-pricing/",
        "disclosure_reference": f"Order {tag}-2026-17",
        "inbound_subject": f"A question from {tag} by email",
    }
    person, _ = person_upsert(
        actor=Actor.system("test"),
        source="web_form",
        email=email,
        name=needles["name"],
        phone=needles["phone"],
        company=needles["company"],
        language="en",
    )
    seeded = Seeded(person=person, needles=needles)

    # intake: a submission with an encrypted file on disk, and a minor's form on hold
    submission = Submission.objects.create(
        form="interest",
        person=person,
        answers={"need": needles["answer"], "company": needles["company"]},
        language="en",
        policy_version=None,
    )
    stored_name = upload_store(
        CheckedFile(
            name=needles["file_name"], extension=".pdf", mimetype="application/pdf", content=PDF
        )
    )
    seeded.stored_names.append(stored_name)
    StoredFile.objects.create(
        submission=submission,
        field="cv",
        original_name=needles["file_name"],
        mimetype="application/pdf",
        size=len(PDF),
        stored_name=stored_name,
    )
    GuardianPending.objects.create(
        form="job_application",
        payload={"answers": {"message": needles["pending_answer"]}, "files": {}},
        guardian_email=email,
        language="en",
        token_hash=f"{tag}-pending".ljust(64, "0"),
        expires_at=timezone.now() + timedelta(days=7),
    )

    # meetings: a lead made of the submission, a staff note, a booked demo
    lead = Lead.objects.create(submission=submission, person=person, form="interest", language="en")
    LeadNote.objects.create(lead=lead, text=needles["lead_note"])
    expert = Expert.objects.create(user=make_staff(f"expert-{tag}"), display_name="Sam")
    Meeting.objects.create(
        lead=lead,
        expert=expert,
        starts_at=timezone.now() + timedelta(days=3),
        ends_at=timezone.now() + timedelta(days=3, hours=1),
        mode="online",
        location=f"https://meet.letsgonex.cn/{tag}",
    )

    # tracking: a stitched browser, a page it viewed, and the cookie choice it made
    visitor_key = f"{tag}-visitor"[:32]
    Visitor.objects.create(key=visitor_key, person=person, stitched_at=timezone.now())
    PageView.objects.create(
        event_id=f"{tag}-view"[:32],
        at=timezone.now(),
        path=needles["visited_path"],
        visitor_key=visitor_key,
        language="en",
    )
    banner, _ = BannerText.objects.get_or_create(
        hash="0" * 64, defaults={"language": "en", "text": "We use cookies."}
    )
    ConsentRecord.objects.create(
        consent_id=f"{tag}-consent"[:32],
        visitor_key=visitor_key,
        person=person,
        choices={"analytics": True, "marketing": False},
        method="accept_all",
        banner_text=banner,
        declarations_hash="0" * 16,
        language="en",
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=365),
    )

    # intake: their row in a list not imported yet, beside someone else's
    ImportBatch.objects.create(
        source="third_parties",
        legal_basis="legitimate_interests",
        rows=[
            {"line": 2, "email": email, "name": needles["import_row_name"]},
            {"line": 3, "email": f"neighbour-{tag}@elsewhere.cn", "name": "Neighbour"},
        ],
        total=2,
    )

    # people: where their data came from, consent, opt-outs (their own, and their organisation's), account, sign-ins
    Provenance.objects.create(
        person=person, kind="import", source="third_parties", legal_basis="legitimate_interests"
    )
    consent_record(
        person=person,
        subject="list:newsletter",
        granted=True,
        text=needles["consent_words"],
        language="en",
        method=ConsentMethod.FORM,
        actor=Actor.system("test"),
        form="newsletter",
    )
    opt_out_set(
        kind=OptOutKind.AFFILIATE_SHARING,
        actor=Actor.system("test"),
        channel="email",
        person=person,
    )
    opt_out_set(
        kind=OptOutKind.ORGANIZATION_IDENTIFICATION,
        actor=Actor.system("test"),
        channel="email",
        organization=person.organization,
        requested_by=person,
    )
    user = get_user_model().objects.create_user(
        username=f"visitor-{tag}", password="a long visitor pass phrase"
    )
    Account.objects.create(person=person, user=user)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.create(
            username=needles["typed_at_login"],
            ip_address="203.0.113.7",
            user_agent="Firefox",
            path_info="/en/account/login/",
            **({"failures_since_start": 1} if model is AccessAttempt else {}),
        )
    # A successful sign-in is logged under the account's own username, not the email typed.
    AccessLog.objects.create(
        username=user.get_username(),
        ip_address="203.0.113.8",
        user_agent=needles["signed_in_browser"],
        path_info="/en/account/login/",
    )

    # mail: a message to them, one to their address before they were a person, lists, signups
    mail_send(
        kind="notice",
        to=email,
        language="en",
        context={"subject": needles["message_subject"], "body": "b"},
        actor=Actor.system("test"),
        person=person,
    )
    mail_send(
        kind="notice",
        to=email.upper(),
        language="en",
        context={"subject": f"Before {tag} was known", "body": "b"},
        actor=Actor.system("test"),
    )
    Subscription.objects.create(
        person=person,
        list_key="newsletter",
        status=SubscriptionStatus.ACTIVE,
        confirmed_at=timezone.now(),
    )
    newsletter = Campaign.objects.create(
        list_key="newsletter",
        name=f"{tag} newsletter",
        subject={"en": "News"},
        body={"en": "News"},
        created_by="staff:test",
    )
    CampaignRecipient.objects.create(
        campaign=newsletter, person=person, language="en", status=RecipientStatus.SENT
    )
    address_suppress(email=email, reason="bounce", actor=Actor.system("test"), detail="5.1.1")
    SubscriptionRequest.objects.create(
        email=email,
        lists=["newsletter"],
        language="en",
        consent_text=needles["signup_words"],
        token_hash=f"{tag}-signup".ljust(64, "0"),
        expires_at=timezone.now() + timedelta(days=7),
    )

    # inbox: an email they sent to the service mailbox (nothing recognised: it waits in triage)
    inbound_receive(
        (
            f"From: {needles['name']} <{email}>\r\nTo: service@letsgonex.com\r\n"
            f"Subject: {needles['inbound_subject']}\r\nMessage-ID: <{tag}-seed@{tag}-corp.cn>\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\nWhen is the next event?\r\n"
        ).encode(),
        source="smtp",
    )

    # cases: a request of theirs, and a portal link
    case_open(
        kind="access",
        channel="email",
        actor=Actor.system("test"),
        requester_email=email,
        details=needles["case_details"],
        person=person,
        identity=Identity.VERIFIED_STAFF,
        acknowledge=False,
    )
    link_create(email=email, language="en", actor=Actor.system("test"), person=person)
    disclosure_record(
        person=person,
        recipient_name="Shenzhen Intermediate People's Court",
        basis="court_order",
        categories=["user.name", "user.contact.email"],
        reference=needles["disclosure_reference"],
        actor=Actor.system("test"),
    )
    person.refresh_from_db()
    return seeded
