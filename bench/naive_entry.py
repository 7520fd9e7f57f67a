"""granian's target for the naive baseline: Django with bench.naive as its URLconf."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")

from django.conf import settings

settings.ROOT_URLCONF = "bench.naive"

from bench.naive import application  # noqa: E402, F401
