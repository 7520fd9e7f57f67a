"""The naive baseline of bench_forms: a Django ModelForm view that stores the contact form's
fields in plaintext.

The way such a form is usually first written: GET renders the form with Django's CSRF token,
POST validates it and saves the row through the ORM, then shows a thank-you page, both in the
site's own layout (``web/base.html``, as Pledge's form pages), so the two differ by what they do
with a post and not by the page around it (``BENCH_FORMS_NAIVE_LAYOUT=bare``: a bare page
instead). Served by granian exactly as ``pledge serve`` serves Pledge (same workers and
threads), through the same settings and middleware stack (CSRF included), with the site's
URLconf beside its one path, ``/en/naive/contact/``, so the layout's links resolve. Its table, ``bench_naive_contact``, is made by
``table_create`` for the bench's database only: the model is unmanaged, in no migration, and
defined nowhere but here. Not part of the product; ``bench_forms`` starts it.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
application = get_wsgi_application()

from django import forms  # noqa: E402 (after Django is set up)
from django.conf.urls.i18n import i18n_patterns  # noqa: E402
from django.db import connection, models  # noqa: E402
from django.http import HttpResponseNotAllowed  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402

from pledge.urls import urlpatterns as site_urlpatterns  # noqa: E402

INQUIRY_TYPES = [
    ("developer", "Developer"),
    ("licensor", "Licensor"),
    ("distributor", "Distributor"),
    ("other", "Other"),
]
THANKS_MARKER = "naive-thanks"


class NaiveContact(models.Model):
    """The contact form's fields, as plaintext columns."""

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=32, blank=True)
    company = models.CharField(max_length=200, blank=True)
    inquiry_type = models.CharField(max_length=20, choices=INQUIRY_TYPES)
    subject = models.CharField(max_length=200)
    message = models.TextField(max_length=5000)
    future_communications = models.BooleanField(default=False)
    sales_follow_up = models.BooleanField(default=False)
    share_group = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        app_label = "web"
        db_table = "bench_naive_contact"
        managed = False

    def __str__(self):
        return f"naive contact {self.pk}"


class NaiveContactForm(forms.ModelForm):
    class Meta:
        model = NaiveContact
        fields = [
            "name",
            "email",
            "phone",
            "company",
            "inquiry_type",
            "subject",
            "message",
            "future_communications",
            "sales_follow_up",
            "share_group",
        ]
        widgets = {"inquiry_type": forms.RadioSelect}


BARE = os.environ.get("BENCH_FORMS_NAIVE_LAYOUT", "site") == "bare"
PAGE = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Contact us</title></head><body><main>
<h1>Contact us</h1>
<form method="post">{% csrf_token %}{{ form.as_p }}<button type="submit">Send</button></form>
</main></body></html>"""
    if BARE
    else """{% extends "web/base.html" %}
{% block title %}Contact us · {{ site_name }}{% endblock %}
{% block main %}<div class="wrap form-page"><section class="form-column"><h1>Contact us</h1>
<form method="post" class="form">{% csrf_token %}{{ form.as_p }}
<button type="submit" class="button">Send</button></form></section></div>{% endblock %}"""
)
THANKS = engines["django"].from_string(
    """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Thank you</title>
</head><body><main><h1 class="naive-thanks">Thank you</h1>
<p>We have your message and will reply soon.</p></main></body></html>"""
    if BARE
    else """{% extends "web/base.html" %}
{% block title %}Thank you · {{ site_name }}{% endblock %}
{% block main %}<div class="wrap"><section class="panel panel-narrow" role="status">
<h1 class="naive-thanks">Thank you</h1><p>We have your message and will reply soon.</p>
</section></div>{% endblock %}"""
)


def naive_contact(request):
    if request.method == "POST":
        form = NaiveContactForm(request.POST)
        if form.is_valid():
            form.save()
            return _render(THANKS, request, {})
        return _render(PAGE, request, {"form": form}, status=400)
    if request.method != "GET":
        return HttpResponseNotAllowed(["GET", "POST"])
    return _render(PAGE, request, {"form": NaiveContactForm()})


def _render(template, request, context, status=200):
    from django.http import HttpResponse

    return HttpResponse(template.render(context, request), status=status)


def table_create() -> None:
    """Make ``bench_naive_contact`` in the configured database (the bench's own)."""
    with connection.schema_editor() as editor:
        editor.create_model(NaiveContact)


urlpatterns = [
    *i18n_patterns(path("naive/contact/", naive_contact), prefix_default_language=False),
    *site_urlpatterns,
]


if __name__ == "__main__":
    table_create()
