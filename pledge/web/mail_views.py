"""The links of every campaign and notice: one-click unsubscribe and the preference page (P13),
and, in a policy notice to someone whose data the new version protects less, the page to agree
to it (P23, ``policy_agree_page``).

No account and no password: the signed token in the path opens that person's email preferences
only (``mail.preferences``). Like the portal, every page is ``no-store``, sends no referrer to
other sites, is not indexed, carries no beacon, and works without JavaScript.

The unsubscribe URL follows RFC 8058: a POST unsubscribes at once, with no CSRF token, no
confirmation and no login (mail clients post ``List-Unsubscribe=One-Click`` themselves); a GET
only shows a page with one button, because mail scanners follow links.
"""

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from pledge.inventory.loader import current_inventory
from pledge.mail.preferences import (
    join_words,
    preference_find,
    preferences_save,
    unsubscribe_by_token,
)
from pledge.mail.subscriptions import list_name, lists_subscribed
from pledge.people.agreements import policy_agree, policy_agreement
from pledge.people.models import ConsentMethod
from pledge.people.versions import person_version, version_inventory
from pledge.vault.actors import Actor
from pledge.web.portal_views import portal_page

POLICY_AGREE = Actor.visitor("policy_agree")


def link_invalid(request):
    """A forged, damaged or erased person's link: 404, with what to do instead."""
    return render(request, "web/unsubscribe.html", {"state": "invalid"}, status=404)


@csrf_exempt  # RFC 8058: the mail client's POST carries no token; it unsubscribes, nothing more
@portal_page
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    preference = preference_find(token)
    if preference is None:
        return link_invalid(request)
    name = list_name(preference.list_key)
    if request.method == "POST":
        left = unsubscribe_by_token(token, method=ConsentMethod.UNSUBSCRIBE_LINK)
        if request.POST.get("from_page") != "1":
            # The one-click POST of a mail client: a short answer, nothing to render.
            return HttpResponse(
                _("You are unsubscribed.") + "\n", content_type="text/plain; charset=utf-8"
            )
        context = {"state": "done", "list_name": name, "left": [list_name(key) for key in left]}
        context["token"] = token
        return render(request, "web/unsubscribe.html", context)
    return render(
        request,
        "web/unsubscribe.html",
        {"state": "ask", "list_name": name, "token": token},
    )


class PreferencesForm(forms.Form):
    lists = forms.MultipleChoiceField(
        label=gettext_lazy("Mailing lists"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    language = forms.ChoiceField(
        label=gettext_lazy("Language of our emails"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lists"].choices = [
            (key, str(declared.name)) for key, declared in current_inventory().mailing_lists.items()
        ]


@portal_page
@require_http_methods(["GET", "POST"])
def preferences(request, token: str):
    """The person's lists (each with its name and description, ticked if subscribed), the
    language of their emails, save, and unsubscribe from all."""
    preference = preference_find(token)
    if preference is None:
        return link_invalid(request)
    person = preference.person
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if request.POST.get("action") == "unsubscribe_all":  # whatever else the form holds
            unsubscribe_by_token(token, method=ConsentMethod.PREFERENCES, every_list=True)
            return redirect(f"{request.path}?done=saved")
        if form.is_valid():
            saved = preferences_save(
                preference=preference,
                lists=set(form.cleaned_data["lists"]),
                language=form.cleaned_data["language"],
            )
            done = "confirm" if saved.confirmation_sent else "saved"
            return redirect(f"{request.path}?done={done}")
    else:
        form = PreferencesForm(
            initial={"lists": lists_subscribed(person), "language": person.language}
        )
    declared = current_inventory().mailing_lists
    descriptions = {key: str(item.description) for key, item in declared.items()}
    lists = [
        {"key": key, "name": str(item.name), "description": descriptions[key]}
        for key, item in declared.items()
    ]
    chosen = set(form["lists"].value() or [])
    for item in lists:
        item["checked"] = item["key"] in chosen
    return render(
        request,
        "web/preferences.html",
        {
            "form": form,
            "lists": lists,
            "words": join_words(get_language() or settings.LANGUAGE_CODE),
            "done": request.GET.get("done", ""),
            "language_choices": settings.LANGUAGES,
            "current_language": form["language"].value(),
        },
    )


@portal_page
@require_http_methods(["GET", "POST"])
def policy_agree_page(request, number: int, token: str):
    """P23: the link of a policy notice to someone whose data version ``number`` would protect
    less. A GET shows what would change for their data and one button; the POST records their
    agreement with the words shown. Not agreeing changes nothing."""
    preference = preference_find(token)
    if preference is None:
        return link_invalid(request)
    if version_inventory(number) is None:
        return render(request, "web/policy_agree.html", {"state": "unknown"}, status=404)
    person = preference.person
    language = get_language() or settings.LANGUAGE_CODE
    agreement = policy_agreement(person, number, language)
    if agreement is not None and request.method == "POST":
        policy_agree(person=person, number=number, language=language, actor=POLICY_AGREE)
        return redirect(f"{request.path}?done=1")
    held_under = person_version(person)
    if agreement is None:
        state = "applies" if held_under is not None and held_under >= number else "nothing"
        context = {
            "state": state,
            "number": number,
            "held_under": held_under,
            "thanks": request.GET.get("done") == "1" and state == "applies",
        }
        return render(request, "web/policy_agree.html", context)
    return render(
        request,
        "web/policy_agree.html",
        {"state": "ask", "number": number, "agreement": agreement},
    )
