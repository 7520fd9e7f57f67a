"""The links of every campaign and notice: one-click unsubscribe and the preference page (P13).

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
from pledge.people.models import ConsentMethod
from pledge.web.portal_views import portal_page


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
