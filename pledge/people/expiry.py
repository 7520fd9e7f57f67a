"""How long people's own records live (``[retention.*]`` of the inventory), for ``pledge purge``.

The person's record goes last, once nothing keeps it: no reason left (``reason_register``: a
submission, a lead, a standing subscription, an account), not held, and no contact for the
period of ``[retention.people]``. Their standing opt-outs stay behind as a keyed fingerprint, as
after an erasure (P01), so no list brings them back to be contacted.
"""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from pledge.people.assessments import assessments_ended_mark
from pledge.people.models import (
    Account,
    Consent,
    ImpactAssessment,
    OptOut,
    Person,
    Provenance,
)
from pledge.people.optouts import opt_outs_standing, tombstone_record
from pledge.people.retention import (
    RetentionRule,
    contact_register,
    cutoff,
    expired_before,
    naming,
    not_contacted_since,
    nothing,
    reason_register,
    reasons,
    rule_register,
    without_held,
)
from pledge.vault.actors import Actor


def consents_expired(now):
    """A consent's history ends with its withdrawal: every word up to a withdrawal older than
    the period goes (a later new consent, and its own history, stay)."""
    ended = Consent.objects.filter(
        expired_before("consents", now, "created_at"),
        person=OuterRef("person"),
        subject=OuterRef("subject"),
        granted=False,
        created_at__gte=OuterRef("created_at"),
    )
    return without_held(Consent.objects.filter(Exists(ended)))


def opt_outs_expired(now):
    """An opt-out stands until lifted; its record goes the period after."""
    return without_held(OptOut.objects.filter(lifted_at__lt=cutoff("opt_outs", now)))


def sign_ins_expired(model):
    return lambda now: model.objects.filter(attempt_time__lt=cutoff("sign_ins", now))


def assessments_expired(now):
    """Impact assessments, the hold's period after their processing ended (Art. 56)."""
    return ImpactAssessment.objects.filter(processing_ended_at__lt=cutoff("assessments", now))


def people_expired(now):
    """People with no reason left, not held, not in contact for ``[retention.people]``."""
    since = cutoff("people", now)
    people = Person.objects.filter(created_at__lt=since)
    people = not_contacted_since(people, since, person_field="pk")
    for kept in reasons():
        people = people.exclude(naming(kept, "pk"))
    return without_held(people, person_field="pk")


def people_remove(keys) -> int:
    """Delete people (their consents, opt-outs, name tokens and provenance go with them); a
    standing opt-out leaves its fingerprint first."""
    for person_id in (
        OptOut.objects.filter(person_id__in=keys, lifted_at__isnull=True)
        .values_list("person_id", flat=True)
        .distinct()
    ):
        person = Person.objects.get(pk=person_id)
        standing = sorted(opt_outs_standing(person)["person"])
        tombstone_record(email=person.email or "", opt_outs=standing, erased=False)
    return Person.objects.filter(pk__in=keys).delete()[0]


def register() -> None:
    contact_register(
        "people.arrivals",
        lambda since: Provenance.objects.filter(created_at__gte=since).values("person_id"),
    )
    reason_register("people.accounts", lambda: Account.objects.values("person_id"))
    rule_register(
        RetentionRule(
            key="people.consents",
            title=_("Consents withdrawn long ago"),
            models=("people.Consent",),
            declarations=("consents",),
            expired=consents_expired,
        )
    )
    rule_register(
        RetentionRule(
            key="people.opt_outs",
            title=_("Opt-outs lifted long ago"),
            models=("people.OptOut",),
            declarations=("opt_outs",),
            expired=opt_outs_expired,
        )
    )
    for key, model in (
        ("people.sign_in_attempts", AccessAttempt),
        ("people.sign_in_failures", AccessFailureLog),
        ("people.sign_ins", AccessLog),
    ):
        rule_register(
            RetentionRule(
                key=key,
                title=_("Sign-in records"),
                models=(model._meta.label,),
                declarations=("sign_ins",),
                expired=sign_ins_expired(model),
            )
        )
    rule_register(
        RetentionRule(
            key="people.assessments",
            title=_("Impact assessments of processing that ended"),
            models=("people.ImpactAssessment",),
            declarations=("assessments",),
            expired=assessments_expired,
            prepare=lambda: assessments_ended_mark(actor=Actor.system("purge")),
        )
    )
    rule_register(
        RetentionRule(
            key="people.accounts",
            title=_("Accounts"),
            models=("people.Account",),
            expired=nothing(Account),  # kept while open; closing one is an erasure
        )
    )
    rule_register(
        RetentionRule(
            key="people.people",
            title=_("People with nothing else kept"),
            models=("people.Person", "people.PersonNameToken", "people.Provenance"),
            declarations=("people",),
            expired=people_expired,
            remove=people_remove,
            batch=100,
            order=1000,
        )
    )
