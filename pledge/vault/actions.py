"""What each audited action is and who did it, in words: the audit log's one registry of names.

``audit_record`` stores a stable code (``mail.queued``), which the chain seals and filters match;
the console's audit log shows these names in the reader's language. An action not named here
reads as words made of its code, and ``pledge/vault/tests/test_action_names.py`` fails naming
it, so a new action is named the day it is recorded. The same holds for the jobs and visitor
actions an ``Actor`` is named by.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

ACTION_NAMES = {
    "access.refused": _("Access refused"),
    "account.created": _("Visitor account created"),
    "account.signed_in": _("Visitor signed in"),
    "assessment.processing_ended": _("Processing ended"),
    "assessment.recorded": _("Impact assessment recorded"),
    "assessment.refused": _("Processing refused for want of an assessment"),
    "audit.sealed": _("Audit log sealed"),
    "campaign.cancelled": _("Campaign cancelled"),
    "campaign.created": _("Campaign created"),
    "campaign.paused": _("Campaign paused"),
    "campaign.resumed": _("Campaign resumed"),
    "campaign.started": _("Campaign started"),
    "campaign.test_sent": _("Campaign test sent"),
    "campaign.updated": _("Campaign edited"),
    "case.assigned": _("Request assigned"),
    "case.completed": _("Request completed"),
    "case.corrected": _("Details corrected on a request"),
    "case.exported": _("Data exported on a request"),
    "case.shown": _("Data shown in the portal"),
    "case.withdrawn": _("Consent withdrawn on a request"),
    "case.opt_out": _("Opt-out changed on a request"),
    "case.erased": _("Data erased on a request"),
    "case.email_received": _("Email received on a request"),
    "case.identity": _("Requester's identity checked"),
    "case.link_opened": _("Request link opened"),
    "case.link_sent": _("Request link sent"),
    "case.opened": _("Request opened"),
    "case.refused": _("Request refused"),
    "case.reminded": _("Request deadline reminder sent"),
    "case.viewed": _("Request viewed"),
    "consent.granted": _("Consent given"),
    "consent.recorded": _("Consent recorded"),
    "consent.records_viewed": _("Cookie consent records viewed"),
    "consent.withdrawn": _("Consent withdrawn"),
    "disclosure.recorded": _("Disclosure recorded"),
    "disclosure.shared": _("Data shared with a recipient"),
    "do_not_contact.cleared": _("Contact allowed again"),
    "do_not_contact.set": _("Marked do not contact"),
    "expert.time_off_added": _("Expert's time off added"),
    "expert.time_off_removed": _("Expert's time off removed"),
    "expert.updated": _("Expert's profile changed"),
    "feedback.received": _("Feedback received"),
    "guardian.confirmed": _("Guardian confirmed"),
    "guardian.requested": _("Guardian's consent asked"),
    "import.finished": _("Import finished"),
    "import.prepared": _("Import prepared"),
    "inbox.address_suppressed": _("Address suppressed from the mailbox"),
    "inbox.confirmed": _("Mailbox message confirmed"),
    "inbox.decided": _("Mailbox message decided"),
    "inbox.handled": _("Mailbox message handled"),
    "inbox.received": _("Mailbox message received"),
    "inbox.verification_sent": _("Verification sent from the mailbox"),
    "inbox.viewed": _("Mailbox message viewed"),
    "lead.assigned": _("Lead assigned"),
    "lead.booking_link_sent": _("Booking link sent"),
    "lead.created": _("Lead created"),
    "lead.note_added": _("Note added to a lead"),
    "lead.status_set": _("Lead status changed"),
    "lead.viewed": _("Lead viewed"),
    "mail.attachment_downloaded": _("Email attachment downloaded"),
    "mail.delivered_copy_viewed": _("Recipient's copy of an email viewed"),
    "mail.queued": _("Email queued"),
    "mail.suppressed": _("Address suppressed"),
    "mail.unsuppressed": _("Address allowed again"),
    "mail.viewed": _("Email viewed"),
    "meeting.booked": _("Meeting booked"),
    "meeting.cancelled": _("Meeting cancelled"),
    "meeting.rescheduled": _("Meeting rescheduled"),
    "notice.created": _("Notice created"),
    "opt_out.lifted": _("Opt-out lifted"),
    "opt_out.set": _("Opt-out recorded"),
    "organization.networks_set": _("Organisation's networks changed"),
    "organization.viewed": _("Organisation viewed"),
    "person.corrected": _("Person's details corrected"),
    "person.created": _("Person created"),
    "person.erased": _("Person erased"),
    "person.exported": _("Person's data exported"),
    "person.language_set": _("Person's language changed"),
    "person.searched": _("People searched"),
    "person.shown": _("Person's data shown"),
    "person.updated": _("Person updated"),
    "person.viewed": _("Person viewed"),
    "portal.link_opened": _("Portal link opened"),
    "portal.link_sent": _("Portal link sent"),
    "portal.suppressed": _("Never contact asked in the portal"),
    "retention.purged": _("Expired records deleted"),
    "staff.created": _("Staff member created"),
    "staff.2fa_enrol_failed": _("Two-factor set-up code refused"),
    "staff.2fa_enrolled": _("Two-factor login set up"),
    "staff.2fa_failed": _("Two-factor code refused"),
    "staff.2fa_reset": _("Two-factor login reset"),
    "staff.2fa_verified": _("Two-factor code accepted"),
    "staff.logout": _("Staff member signed out"),
    "staff.password_accepted": _("Staff password accepted"),
    "staff.recovery_codes_renewed": _("Recovery codes renewed"),
    "staff.updated": _("Staff member changed"),
    "submission.received": _("Form received"),
    "subscription.confirmed": _("Subscription confirmed"),
    "subscription.ended": _("Subscription ended"),
    "subscription.requested": _("Subscription asked"),
    "subscription.resumed": _("Subscription resumed"),
    "visits.stitched": _("Visits linked to a person"),
}

# Model labels of the audit log's targets, named in words.
TARGET_NAMES = {
    "people.Person": _("Person"),
    "people.Organization": _("Organisation"),
    "meetings.Lead": _("Lead"),
    "meetings.Meeting": _("Meeting"),
    "meetings.Expert": _("Expert"),
    "mail.Message": _("Email"),
    "mail.Campaign": _("Campaign"),
    "cases.Case": _("Request"),
    "cases.Disclosure": _("Disclosure"),
    "intake.Submission": _("Form sent"),
    "intake.ImportBatch": _("Import"),
    "inbox.InboundMessage": _("Email received"),
    "auth.User": _("Staff member"),
    "inventory.PolicyVersion": _("Policy version"),
}


# Who acted, for the actors the code names (``Actor.system(job)``, ``Actor.visitor(action)``).
SYSTEM_JOB_NAMES = {
    "audit.seal": _("sealing the audit log"),
    "cases.remind": _("request deadline reminders"),
    "demo": _("demo data"),
    "import": _("contact import"),
    "inbox": _("incoming email"),
    "leads.assign": _("lead assignment"),
    "meetings.notify": _("meeting emails"),
    "notice": _("policy change notice"),
    "purge": _("deleting expired records"),
    "share": _("sharing with a recipient"),
}
VISITOR_ACTION_NAMES = {
    "account": _("their account"),
    "booking": _("booking a meeting"),
    "form": _("a form on the site"),
    "guardian": _("a guardian's consent"),
    "policy_agree": _("agreeing to the policy"),
    "portal": _("the privacy portal"),
    "preferences": _("email preferences"),
    "subscription": _("a subscription"),
    "unsubscribe": _("unsubscribing"),
}


def action_name(action: str) -> str:
    """An action in the active language; an unnamed one as words made of its code."""
    if action in ACTION_NAMES:
        return str(ACTION_NAMES[action])
    return action.replace(".", " ").replace("_", " ").capitalize()


def target_name(object_type: str) -> str:
    """What kind of record an entry is about, in words ("Person" for ``people.Person``)."""
    if object_type in TARGET_NAMES:
        return str(TARGET_NAMES[object_type])
    return object_type.rpartition(".")[2]


def actor_name(label: str) -> str:
    """Who acted, in words, from the audit log's label (``staff:alice``, ``system:purge``,
    ``visitor:form``, ``person:<link id>``): "System task: deleting expired records"."""
    kind, _colon, name = (label or "").partition(":")
    if kind == "staff":
        return gettext("Staff: %(name)s") % {"name": name}
    if kind == "system":
        job = SYSTEM_JOB_NAMES.get(name) or name.replace(".", " ").replace("_", " ")
        return gettext("System task: %(job)s") % {"job": job}
    if kind == "visitor":
        action = VISITOR_ACTION_NAMES.get(name) or name.replace(".", " ").replace("_", " ")
        return gettext("A visitor: %(action)s") % {"action": action}
    if kind == "person":
        return gettext("The person, by their emailed link")
    if kind == "guardian":
        return gettext("A guardian, by their emailed link")
    return label or "—"
