"""Visitor accounts: log in with email and password to reach the downloads (P05, P09).

The session cookie exists only from sign-in on (logging in, or creating an account, which signs
the visitor in); the rest of the site sets none (P09).
"""

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from pledge.intake.accounts import account_authenticate, account_sign_in
from pledge.intake.defence import Refused
from pledge.web.downloads import DOWNLOADS, download_path


class AccountLoginForm(forms.Form):
    email = forms.EmailField(label=_("Email address"), max_length=254)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None
        self.refused = False

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.user = account_authenticate(
                request=self.request, email=cleaned["email"], password=cleaned["password"]
            )
        except Refused as refused:
            self.refused = True
            raise forms.ValidationError(refused.message) from None
        if self.user is None:
            raise forms.ValidationError(
                _(
                    "The email address or the password is not right. "
                    "Try again, or create an account."
                )
            )
        return cleaned


def visitor_required(view):
    """Pages that need registration: visitors with an account, never staff sessions."""

    @login_required(login_url="web:account_login")
    def wrapped(request, *args, **kwargs):
        if not hasattr(request.user, "visitor_account"):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def account_login(request):
    form = AccountLoginForm(request, request.POST or None)
    if request.method == "POST" and form.is_valid():
        account_sign_in(request=request, user=form.user, by="password")
        return redirect("web:downloads")
    status = 429 if form.refused else 400 if form.is_bound else 200
    return render(request, "web/account/login.html", {"form": form}, status=status)


@require_POST
def account_logout(request):
    logout(request)
    return redirect(reverse("web:home"))


@visitor_required
def downloads(request):
    return render(request, "web/account/downloads.html", {"downloads": DOWNLOADS})


@visitor_required
def download(request, name: str):
    path = download_path(name)
    if path is None:
        raise Http404(name)
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)
