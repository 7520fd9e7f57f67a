from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path

from pledge import health

urlpatterns = [
    # For machines, outside the language prefix: liveness, readiness and Prometheus' metrics.
    # pledge.health.MachineEndpointsMiddleware answers them before the rest of the middleware
    # (no host check, redirect, session, cookie or request log); listed here so they resolve
    # and reverse like any address.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    # zh-Hans lives at /, English at /en/: the language is in the address, so switching it
    # sets no cookie (P09) and every page has a stable URL per language.
    *i18n_patterns(
        path("console/", include("pledge.console.urls")),
        path("", include("pledge.web.urls")),
        prefix_default_language=False,
    ),
]
