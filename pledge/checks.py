"""Configuration errors as system checks, so every ``pledge`` command stops on them.

settings.py collects what is wrong (it cannot raise without losing the message); here each
becomes an error naming the setting and the fix. ``pledge serve`` also runs the deploy checks.
"""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=False)
def configuration_errors(app_configs, **kwargs):
    return [
        Error(message, hint=None, id=f"pledge.E{index:03d}", obj=setting)
        for index, (setting, message) in enumerate(settings.CONFIG_ERRORS, start=1)
    ]
