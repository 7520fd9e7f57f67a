"""The notice at collection names only the recipients that receive that form's data (issue 16).

A recipient applies to a form when one of the form's fields is of a category it is declared to
receive and is collected for a purpose it is declared to serve: a CV, collected only to consider
the application, is never "shared with lead generation agencies".
"""

import pytest
from django.utils import translation

from pledge.intake.notice import collection_notice, collection_recipients, recipient_uses
from pledge.inventory.loader import current_inventory
from pledge.inventory.services import policy_publish

pytestmark = pytest.mark.django_db


def names(recipients) -> set[str]:
    return {recipient.name.get("en") for recipient in recipients}


@pytest.fixture(autouse=True)
def published(db):
    policy_publish(summary={"en": "First version"}, material=True, published_by="test")


def test_the_careers_notice_names_no_sales_recipient():
    inventory = current_inventory()
    processors, affiliates = collection_recipients(inventory.form("job_application"), inventory)
    assert "Lead generation agencies" not in names(processors)
    assert processors == [] and affiliates == []  # no recipient serves recruitment


def test_the_demo_notice_names_the_recipients_that_serve_its_purposes():
    inventory = current_inventory()
    demo = inventory.form("demo")
    processors, affiliates = collection_recipients(demo, inventory)
    expected = {
        processor.name.get("en")
        for processor in inventory.processors.values()
        if recipient_uses(processor, demo)
    }
    assert names(processors) == expected
    assert "Lead generation agencies" in names(processors)
    assert names(affiliates) == {"Gonex's subsidiaries and other affiliates"}
    lead_generation = next(p for p in processors if p.name.get("en") == "Lead generation agencies")
    # Sales is not what sending the form agrees to: the agencies get nothing without its box.
    with translation.override("en"):
        assert lead_generation.needs_consent


def test_a_recipient_needs_both_a_category_and_a_purpose_of_the_form():
    inventory = current_inventory()
    lead_generation = inventory.processor("lead_generation")
    careers = inventory.form("job_application")
    categories = {field.category for field in careers.field_list}
    assert categories & set(lead_generation.categories)  # the same kinds of data...
    assert recipient_uses(lead_generation, careers) == ()  # ...but not for its purpose


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_careers_page_notice_says_nothing_is_shared(client, language):
    prefix = "/en" if language == "en" else ""
    page = client.get(f"{prefix}/careers/apply/").content.decode()
    notice = page[page.index('id="notice-title"') :]
    assert "Lead generation" not in notice and "潜在客户开发服务商" not in notice
    expected = "We do not share it with anyone outside" if language == "en" else "Gonex 以外"
    assert expected in notice


def test_the_demo_page_notice_lists_what_applies_with_its_condition(client):
    page = client.get("/en/demo/").content.decode()
    notice = page[page.index('id="notice-title"') :]
    assert "Lead generation agencies: Finding and contacting prospective customers" in notice
    assert "only if you agree, with its own box, to: Contacting you, beyond your request" in notice
    assert "Gonex&#x27;s subsidiaries and other affiliates" in notice
    assert "Only with your separate consent" in notice


def test_the_demo_page_notice_reads_in_chinese(client):
    page = client.get("/demo/").content.decode()
    notice = page[page.index('id="notice-title"') :]
    assert "潜在客户开发服务商：" in notice
    assert "仅在您勾选单独的方框" in notice


def test_the_notice_data_matches_the_page_language():
    with translation.override("zh-hans"):
        notice = collection_notice(current_inventory().form("demo"))
    lead = next(r for r in notice.recipients if r.name.get("en") == "Lead generation agencies")
    assert lead.only_with.startswith("在您的请求之外")
