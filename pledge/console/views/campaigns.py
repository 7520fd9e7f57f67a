"""Marketing's campaigns and the privacy officer's notices.

A campaign is written per language in Markdown, previewed in each language as its recipients
will read it, tried on one's own address, then sent: the recipients are resolved only then, by
``pledge.mail.campaigns`` through the purpose gate, and the page shows how many it will reach,
a masked sample and why the others are left out. Notices of a policy change or an acquisition
(P14, P23) go to everyone held and are the privacy officer's to send.
"""

from csp.decorators import csp_replace
from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pledge.console.decorators import staff_view
from pledge.inventory.labels import language_name
from pledge.inventory.loader import current_inventory
from pledge.mail.campaigns import (
    NOTICE_KINDS,
    CampaignError,
    campaign_audience,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_render,
    campaign_report,
    campaign_resume,
    campaign_start,
    campaign_test_send,
    campaign_update,
    campaigns_list,
    no_mail_server,
    notice_acquisition,
    notice_policy,
    notices_list,
    policy_versions_to_notice,
)
from pledge.mail.models import Campaign, CampaignKind, CampaignStatus, RecipientStatus
from pledge.mail.subscriptions import list_name
from pledge.vault.access import access_require

LANGUAGES = settings.LANGUAGES


def field_name(prefix: str, language: str) -> str:
    return f"{prefix}_{language.replace('-', '_')}"


class CampaignForm(forms.Form):
    """One campaign: the list it goes to, and its subject and Markdown body in every language."""

    list_key = forms.ChoiceField(label=gettext_lazy("Mailing list"))
    name = forms.CharField(
        label=gettext_lazy("Name (for staff only)"),
        max_length=200,
        help_text=gettext_lazy("Recipients never see it."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["list_key"].choices = list(list_names().items())
        for code, name in LANGUAGES:
            self.fields[field_name("subject", code)] = forms.CharField(
                label=_("Subject (%(language)s)") % {"language": name}, max_length=200
            )
            self.fields[field_name("body", code)] = forms.CharField(
                label=_("Text (%(language)s), in Markdown") % {"language": name},
                max_length=100_000,
                widget=forms.Textarea(attrs={"rows": 14, "class": "code"}),
                help_text=_(
                    "Headings with #, **bold**, *italic*, lists with -, links as [words](https://…)."
                    " The unsubscribe and preference links are added at the bottom."
                ),
            )

    def per_language(self, prefix: str) -> dict[str, str]:
        return {code: self.cleaned_data[field_name(prefix, code)] for code, _name in LANGUAGES}

    @classmethod
    def initial_for(cls, campaign: Campaign) -> dict:
        initial = {"list_key": campaign.list_key, "name": campaign.name}
        for code, _name in LANGUAGES:
            initial[field_name("subject", code)] = campaign.subject.get(code, "")
            initial[field_name("body", code)] = campaign.body.get(code, "")
        return initial


def mask_email(address: str) -> str:
    """A sample recipient as marketing sees it: enough to tell the audience is right (the
    domain), not who (the first letter of the mailbox only)."""
    local, _at, domain = (address or "").partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def list_names() -> dict[str, str]:
    return {key: list_name(key) for key in current_inventory().mailing_lists}


@staff_view("manage_lists")
def campaign_list(request):
    campaigns = list(campaigns_list(actor=request.actor)[:200])
    names = list_names()
    for campaign in campaigns:
        campaign.list_name = names.get(campaign.list_key, campaign.list_key)
    return render(request, "console/campaigns.html", {"campaigns": campaigns})


@staff_view("manage_lists")
def campaign_new(request):
    form = CampaignForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = campaign_create(
                actor=request.actor,
                list_key=form.cleaned_data["list_key"],
                name=form.cleaned_data["name"],
                subject=form.per_language("subject"),
                body=form.per_language("body"),
            )
        except CampaignError as error:
            form.add_error(None, str(error))
        else:
            return redirect("console:campaign", public_id=campaign.public_id)
    status = 400 if form.is_bound else 200
    return render(request, "console/campaign_new.html", {"form": form}, status=status)


def list_campaign(public_id) -> Campaign:
    return get_object_or_404(Campaign, public_id=public_id, kind=CampaignKind.LIST)


@staff_view("manage_lists")
def campaign_detail(request, public_id):
    campaign = list_campaign(public_id)
    form = None
    notice = ""
    error = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "save" and campaign.status == CampaignStatus.DRAFT:
                form = CampaignForm(request.POST)
                if form.is_valid():
                    campaign_update(
                        campaign=campaign,
                        actor=request.actor,
                        name=form.cleaned_data["name"],
                        subject=form.per_language("subject"),
                        body=form.per_language("body"),
                    )
                    return redirect("console:campaign", public_id=campaign.public_id)
            elif action == "test":
                if not request.user.email:
                    raise CampaignError(
                        _("Your staff account has no email address: ask an administrator.")
                    )
                sent = campaign_test_send(
                    campaign=campaign, actor=request.actor, to=request.user.email
                )
                notice = _("%(count)s test emails sent to %(address)s.") % {
                    "count": sent,
                    "address": request.user.email,
                }
            elif action in CAMPAIGN_ACTIONS:
                CAMPAIGN_ACTIONS[action](campaign=campaign, actor=request.actor)
                return redirect("console:campaign", public_id=campaign.public_id)
            else:
                error = _("That action is not available for this campaign any more.")
        except CampaignError as refused:
            error = str(refused)
        campaign.refresh_from_db()
    return campaign_page(request, campaign, form=form, notice=notice, error=error)


CAMPAIGN_ACTIONS = {
    "start": campaign_start,
    "pause": campaign_pause,
    "resume": campaign_resume,
    "cancel": campaign_cancel,
}


REPORT_COLUMNS = [
    ("sent", RecipientStatus.SENT.label),
    ("queued", RecipientStatus.QUEUED.label),
    ("sending", RecipientStatus.SENDING.label),
    ("failed", RecipientStatus.FAILED.label),
    ("skipped", RecipientStatus.SKIPPED.label),
    ("interrupted", RecipientStatus.INTERRUPTED.label),
    ("cancelled", RecipientStatus.CANCELLED.label),
    ("bounced", gettext_lazy("Bounced")),
    ("unsubscribed", gettext_lazy("Unsubscribed")),
    ("complained", gettext_lazy("Reported as spam")),
]


def report_table(report) -> dict:
    """The report as the page's table: a row per language and the total, a column per count."""
    rows = [
        {"label": language_name(code), "counts": [counts[key] for key, _label in REPORT_COLUMNS]}
        for code, counts in report.by_language.items()
    ]
    rows.append(
        {"label": _("Total"), "counts": [report.total[key] for key, _label in REPORT_COLUMNS]}
    )
    columns = [{"key": key, "label": label} for key, label in REPORT_COLUMNS]
    return {"columns": columns, "rows": rows, "excluded": report.excluded}


def campaign_page(request, campaign, *, form=None, notice="", error=""):
    draft = campaign.status == CampaignStatus.DRAFT
    if draft and form is None:
        form = CampaignForm(initial=CampaignForm.initial_for(campaign))
    if form is not None:
        form.fields["list_key"].disabled = True  # a campaign keeps the list it was written for
    previews = [
        {"code": code, "name": language_name(code), "rendered": campaign_render(campaign, code)}
        for code, _name in LANGUAGES
    ]
    audience = campaign_audience(campaign) if draft else None
    context = {
        "campaign": campaign,
        "list_name": list_names().get(campaign.list_key, campaign.list_key),
        "form": form,
        "previews": previews,
        "audience": audience,
        "sample": [
            {"address": mask_email(person.email), "language": language_name(person.language)}
            for person in (audience.sample if audience else [])
        ],
        "report": None if draft else report_table(campaign_report(campaign)),
        "notice": notice,
        "error": error,
        "own_address": request.user.email,
        "no_mail_server": no_mail_server(),
    }
    status = 400 if error or (form is not None and form.is_bound and form.errors) else 200
    return render(request, "console/campaign.html", context, status=status)


# The preview is the email's own HTML document (its CSS is inlined, as mail clients need), so
# it may use style attributes; it runs no script and loads nothing from another host.
@csp_replace({"style-src": ["'unsafe-inline'"], "img-src": ["'self'"]})
@staff_view(("manage_lists", "manage_cases"))
def campaign_preview(request, public_id, language):
    campaign = get_object_or_404(Campaign, public_id=public_id)
    access_require(
        request.actor, "manage_lists" if campaign.kind == CampaignKind.LIST else "manage_cases"
    )
    if language not in dict(LANGUAGES):
        raise Http404
    rendered = campaign_render(campaign, language)
    return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")


# --- Notices (P14, P23) --------------------------------------------------------------------


class AcquisitionForm(forms.Form):
    acquirer = forms.CharField(label=gettext_lazy("Who acquires the company"), max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in LANGUAGES:
            self.fields[field_name("summary", code)] = forms.CharField(
                label=_("What it means for the people whose data we hold (%(language)s)")
                % {"language": name},
                max_length=5000,
                widget=forms.Textarea(attrs={"rows": 5}),
            )


@staff_view("manage_cases")
def notices(request):
    form = AcquisitionForm(request.POST if request.POST.get("action") == "acquisition" else None)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "policy":
                number = request.POST.get("version", "")
                if not number.isdigit():
                    raise CampaignError(_("Choose a published version of the policy."))
                campaign = notice_policy(version_number=int(number), actor=request.actor)
                return redirect("console:notice", public_id=campaign.public_id)
            if request.POST.get("action") == "acquisition" and form.is_valid():
                campaign = notice_acquisition(
                    acquirer=form.cleaned_data["acquirer"],
                    summary={
                        code: form.cleaned_data[field_name("summary", code)]
                        for code, _name in LANGUAGES
                    },
                    actor=request.actor,
                )
                return redirect("console:notice", public_id=campaign.public_id)
        except CampaignError as refused:
            error = str(refused)
    sent = list(notices_list(actor=request.actor)[:100])
    context = {
        "notices": sent,
        "versions": policy_versions_to_notice(),
        "form": form,
        "error": error,
    }
    status = 400 if error or form.errors else 200
    return render(request, "console/notices.html", context, status=status)


@staff_view("manage_cases")
def notice_detail(request, public_id):
    campaign = get_object_or_404(Campaign, public_id=public_id, kind__in=NOTICE_KINDS)
    error = ""
    if request.method == "POST":
        action = NOTICE_ACTIONS.get(request.POST.get("action", ""))
        try:
            if action is None:
                raise CampaignError(_("That action is not available for this notice any more."))
            action(campaign=campaign, actor=request.actor)
            return redirect("console:notice", public_id=campaign.public_id)
        except CampaignError as refused:
            error = str(refused)
    context = {
        "campaign": campaign,
        "previews": [
            {"code": code, "name": language_name(code), "rendered": campaign_render(campaign, code)}
            for code, _name in LANGUAGES
        ],
        "report": report_table(campaign_report(campaign)),
        "error": error,
    }
    return render(request, "console/notice.html", context, status=400 if error else 200)


NOTICE_ACTIONS = {"pause": campaign_pause, "resume": campaign_resume}
