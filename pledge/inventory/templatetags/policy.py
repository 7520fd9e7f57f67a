"""Filters the site's policy prose templates use to print declarations in the page's language.

They are built into the prose engine (``rendering.py``), so a template needs no ``{% load %}``.
"""

from django import template

from pledge.inventory import vocabulary

register = template.Library()


@register.filter
def as_uses(keys, inventory):
    """Purpose keys → their declared uses (each with ``name`` and ``legal_basis``)."""
    return [inventory.uses[key] for key in keys if key in inventory.uses]


@register.filter
def as_categories(keys, inventory):
    """Data category keys → their declared entries (each with ``name``)."""
    return [inventory.data_categories[key] for key in keys if key in inventory.data_categories]


@register.filter
def as_channels(keys, rights):
    """Rights channel keys → the channels."""
    return [rights.channels[key] for key in keys if key in rights.channels]


@register.filter
def days(value):
    return vocabulary.days_text(int(value))


@register.filter
def hours(value):
    return vocabulary.hours_text(int(value))


@register.filter
def lifetime(cookie):
    return vocabulary.seconds_text(cookie.lifetime_seconds)


@register.filter
def retention_start(value):
    return vocabulary.RETENTION_START_NAMES[value]


@register.filter
def legal_basis(value):
    return vocabulary.LEGAL_BASIS_NAMES[value]


@register.filter
def cookie_category(value):
    return vocabulary.COOKIE_CATEGORY_NAMES[value]


@register.filter
def ip_mode(value):
    return vocabulary.IP_MODE_NAMES[value]
