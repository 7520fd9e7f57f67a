"""Tracking's personal data, registered with people's registry (P02, P10, P18).

A stitched visitor's page views and the cookie consents of that browser are personal once
linked: they appear in the person's timeline and access export, and go with erasure.
"""

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pledge.people.registry import PersonalDataProvider, TimelineEntry, provider_register, when
from pledge.tracking.models import ConsentRecord, PageView, Visitor
from pledge.tracking.services import consent_record_export, visits_of


def visits_export(person) -> list[dict]:
    return [
        {
            "time": when(view.at),
            "path": view.path,
            "referrer_domain": view.referrer_domain,
            "campaign": {
                key: getattr(view, key)
                for key in ("utm_source", "utm_medium", "utm_campaign", "ref")
                if getattr(view, key)
            },
            "browser": view.browser_family,
            "operating_system": view.os_family,
            "device": view.device_class,
            "language": view.language,
            "seconds_on_page": view.seconds,
        }
        for view in visits_of(person)
    ]


def visits_timeline(person) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=view.at,
            kind="visit",
            summary=gettext("Visited %(path)s") % {"path": view.path},
        )
        for view in visits_of(person)
    ]


def visits_erase(person) -> int:
    keys = list(Visitor.objects.filter(person=person).values_list("key", flat=True))
    views, _ = PageView.objects.filter(visitor_key__in=keys).delete()
    visitors, _ = Visitor.objects.filter(person=person).delete()
    return views + visitors


def consents_of(person):
    return ConsentRecord.objects.filter(person=person).select_related("banner_text")


def consents_export(person) -> list[dict]:
    return [consent_record_export(record) for record in consents_of(person).order_by("created_at")]


def consents_timeline(person) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=record.created_at,
            kind="cookie_consent",
            summary=gettext("Cookie choice: %(method)s") % {"method": record.get_method_display()},
        )
        for record in consents_of(person)
    ]


def consents_erase(person) -> int:
    removed, _ = ConsentRecord.objects.filter(person=person).delete()
    return removed


provider_register(
    PersonalDataProvider(
        key="tracking.visits",
        models=("tracking.Visitor", "tracking.PageView"),
        export=visits_export,
        timeline=visits_timeline,
        erase=visits_erase,
        title=_("Your visits to the site"),
        description=_(
            "Pages visited from a browser whose visits you agreed to have counted, linked to "
            "you when you sent a form from it."
        ),
        order=40,
    )
)
provider_register(
    PersonalDataProvider(
        key="tracking.cookie_consents",
        models=("tracking.ConsentRecord",),
        export=consents_export,
        timeline=consents_timeline,
        erase=consents_erase,
        title=_("Your cookie choices"),
        description=_("Each choice made on the cookie banner, with the words it showed."),
        order=40,
    )
)
