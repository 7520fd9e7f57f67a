"""``{% current_site as site %}``: the site folder's facts in templates rendered without a
request (emails), the same ``site`` the web's context processor gives every page."""

from django import template

from pledge.inventory.loader import current_site as loaded_site

register = template.Library()


@register.simple_tag(name="current_site")
def current_site():
    """The loaded site: ``site.name``, ``site.mailbox``, ``site.domain``, ``site.colours``..."""
    return loaded_site()
