from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse
from django.urls import include, path


def healthz(request):
    """Liveness for load balancers and the test server fixture."""
    return HttpResponse("ok", content_type="text/plain; charset=utf-8")


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    # zh-Hans lives at /, English at /en/: the language is in the address, so switching it
    # sets no cookie (P09) and every page has a stable URL per language.
    *i18n_patterns(
        path("console/", include("pledge.console.urls")),
        path("", include("pledge.web.urls")),
        prefix_default_language=False,
    ),
]
