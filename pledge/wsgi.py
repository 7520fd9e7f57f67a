"""The WSGI application that ``pledge serve`` hands to granian."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
application = get_wsgi_application()
