"""The WSGI application that ``pledge serve`` hands to granian.

First the body guard (pledge/bodies.py): a body over its cap is refused before it is read, and
only some of each worker's threads may wait on a slow body. Then the beacon's paths are
answered before Django's stack (pledge/tracking/beacon.py): the hot path parses, rate-limits,
group-commits and answers without middleware or URL resolving.
"""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pledge.settings")
django_application = get_wsgi_application()

from pledge.bodies import BodyGuard  # noqa: E402  (needs Django set up)
from pledge.tracking.beacon import BeaconApplication  # noqa: E402
from pledge.tracking.events import parsers_warm  # noqa: E402

application = BodyGuard(BeaconApplication(django_application))
parsers_warm()

# Everything loaded so far (Django, the apps, the templates) lives as long as the process:
# moving it out of the collector's sight makes each full collection cheap, which removed
# pauses of tens of milliseconds under beacon load (measured, docs/architecture.md).
gc.freeze()
