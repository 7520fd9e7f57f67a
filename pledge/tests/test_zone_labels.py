"""A time zone reads as a place with its offset from UTC at the instant shown beside it, in the
reader's language: London is UTC+00:00 in January and UTC+01:00 in July, so a meeting after a
change of summer time is never labelled with today's offset."""

from datetime import UTC, datetime

import pytest
from django.utils import translation

from pledge.dates import zone_label
from pledge.meetings.models import Expert
from pledge.meetings.tests.conftest import make_expert, meeting_for
from pledge.vault.tokens import link_token

pytestmark = pytest.mark.clock

WINTER = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
SUMMER = datetime(2027, 7, 15, 12, 0, tzinfo=UTC)


def test_a_zones_label_has_its_offset_at_the_instant_given():
    with translation.override("en"):
        assert zone_label("Europe/London", WINTER) == "London UTC+00:00"
        assert zone_label("Europe/London", SUMMER) == "London UTC+01:00"
        assert zone_label("America/New_York", WINTER) == "New York UTC\u221205:00"
        assert zone_label("Asia/Shanghai", SUMMER) == "Beijing, Shanghai UTC+08:00"


def test_a_zones_label_is_translated():
    with translation.override("zh-hans"):
        assert zone_label("Europe/London", WINTER) == "伦敦 UTC+00:00"
        assert zone_label("Europe/London", SUMMER) == "伦敦 UTC+01:00"
        assert zone_label("Asia/Shanghai", WINTER) == "北京、上海 UTC+08:00"


def test_a_zone_without_a_place_name_reads_as_its_name_in_words():
    with translation.override("en"):
        label = zone_label("America/Argentina/Buenos_Aires", WINTER)
    assert label == "America/Argentina/Buenos Aires UTC\u221203:00"
    assert zone_label("Mars/Olympus_Mons", WINTER) == "Mars/Olympus_Mons"  # never an error


@pytest.mark.django_db
@pytest.mark.parametrize(("starts_at", "offset"), [(WINTER, "+00:00"), (SUMMER, "+01:00")])
def test_the_cancel_page_names_the_zone_as_it_is_on_the_meetings_day(client, starts_at, offset):
    meeting = meeting_for(make_expert("sam"), starts_at)
    token, meeting.lead.booking_token_hash = link_token()
    meeting.lead.save(update_fields=["booking_token_hash"])
    page = client.get(f"/en/demo/booking/{token}/cancel/", {"tz": "Europe/London"})
    assert f"Time zone: London UTC{offset}" in page.content.decode()


@pytest.mark.django_db
def test_the_lead_card_names_the_visitors_zone_as_it_is_on_the_meetings_day(client_for):
    expert = make_expert("sam")
    Expert.objects.filter(pk=expert.pk).update(time_zone="Asia/Shanghai")
    meeting = meeting_for(expert, SUMMER, visitor_timezone="Europe/London")
    page = client_for(expert.user).get(f"/en/console/leads/{meeting.lead.public_id}/").text
    assert "2027-07-15 20:00" in page and "(Beijing, Shanghai UTC+08:00)" in page
    assert "13:00 for the visitor (London UTC+01:00)" in page
