"""granian's target for bench_forms' baseline: Django with bench.naive_form as its URLconf."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")

from django.conf import settings

settings.ROOT_URLCONF = "bench.naive_form"

from bench.naive_form import application  # noqa: E402, F401
