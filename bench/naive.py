"""The naive baseline of bench_beacon: a plain Django view that inserts one row per request.

Served by granian exactly as ``pledge serve`` serves Pledge (same workers and threads), through
Django's whole middleware stack, with ``PageView.objects.create`` per request: the way a
beacon is usually first written. Not part of the product; ``bench_beacon`` starts it.
"""

import os
import secrets

from django.core.wsgi import get_wsgi_application
from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
application = get_wsgi_application()


@csrf_exempt
def naive_beacon(request):
    from pledge.tracking.models import PageView

    PageView.objects.create(
        event_id=secrets.token_hex(16),
        at=timezone.now(),
        path=request.POST.get("p", "/")[:500],
        language=request.POST.get("l", "")[:35],
    )
    return HttpResponse(status=204)


urlpatterns = [path("beacon", naive_beacon)]
