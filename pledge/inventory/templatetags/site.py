"""``{% current_site as site %}``: the site folder's facts in templates rendered without a
request (emails), the same ``site`` the web's context processor gives every page; and a time
zone named as its readers know it (``pledge.dates.zone_label``), for pages and emails alike."""

from datetime import datetime

from django import template

from pledge.dates import zone_label
from pledge.inventory.loader import current_site as loaded_site

register = template.Library()


@register.simple_tag(name="current_site")
def current_site():
    """The loaded site: ``site.name``, ``site.mailbox``, ``site.domain``, ``site.colours``..."""
    return loaded_site()


# A zone as its readers know it, with its offset at the instant beside it (now by default):
# {{ time_zone|zone_label:starts_at }}, "Berlin UTC+02:00".
register.filter("zone_label", zone_label)


@register.simple_tag
def zone_at(name: str, moment) -> str:
    """``zone_label`` as a tag, for the emails: ``{% zone_at time_zone starts_at as zone %}``
    renders whatever the context holds (a filter's missing argument would raise), naming the
    zone with today's offset when ``moment`` is no instant, as ``|date`` prints nothing then."""
    return zone_label(name, moment if isinstance(moment, datetime) else None)
