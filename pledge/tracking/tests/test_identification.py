"""Organisation identification (P15): visits from an organisation's declared networks name the
organisation, never a person; an organisation that opted out is never identified, and the
contacts offered leave out whoever opted out or may not be contacted."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from pledge.inventory.services import policy_publish
from pledge.people.models import OptOutChannel, OptOutKind, Organization
from pledge.people.optouts import opt_out_set
from pledge.people.tests.factories import demo_requester
from pledge.tracking.identification import organization_networks_set, organizations_identified
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

# Identification here has a current impact assessment (PIPL Art. 55; pledge/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english", "impact_assessments"),
    pytest.mark.clock,
]

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"


def visit(path: str, address: str, agent: str = CHROME):
    Client().get(path, REMOTE_ADDR=address, HTTP_USER_AGENT=agent)


@pytest.fixture
def acme():
    organization = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")
    organization_networks_set(
        organization=organization, networks="203.0.112.0/23", actor=Actor.system("test")
    )
    return organization


@pytest.fixture
def version():
    return policy_publish(summary={"en": "v1"}, material=True, published_by="test")


def contact(organization, version, tag, **fields):
    return demo_requester(tag, organization=organization, policy_version=version.number, **fields)


def test_visits_from_declared_networks_identify_the_organization_not_bots(acme, marketer):
    visit("/en/", "203.0.113.7")
    visit("/en/products/", "203.0.113.99")
    visit("/en/products/", "203.0.112.5")
    visit("/en/", "203.0.113.8", agent="Googlebot/2.1 (+http://www.google.com/bot.html)")
    visit("/en/", "198.51.100.1")  # someone else's network
    [found] = organizations_identified(actor=Actor.staff(marketer))
    assert found.organization == acme
    assert found.requests == 3  # the bot is marked and left out
    assert found.days == 1
    assert found.pages[0] == ("/en/products/", 2)


def test_an_organization_that_opted_out_is_never_identified_p15(acme, marketer):
    visit("/en/", "203.0.113.7")
    opt_out_set(
        kind=OptOutKind.ORGANIZATION_IDENTIFICATION,
        actor=Actor.system("test"),
        channel=OptOutChannel.EMAIL,
        organization=acme,
    )
    assert organizations_identified(actor=Actor.staff(marketer)) == []


def test_contacts_leave_out_who_opted_out_or_may_not_be_contacted(acme, version, marketer):
    contact(acme, version, "open")
    contact(acme, version, "quiet", do_not_contact=True)
    private = contact(acme, version, "private")
    opt_out_set(
        kind=OptOutKind.ORGANIZATION_IDENTIFICATION,
        actor=Actor.system("test"),
        channel=OptOutChannel.PORTAL,
        person=private,
    )
    visit("/en/", "203.0.113.7")
    [found] = organizations_identified(actor=Actor.staff(marketer))
    assert found.contacts == 1


def test_a_network_narrower_than_the_logged_one_identifies_no_one(marketer):
    small = Organization.objects.create(name="Small Co", domain="small.cn")
    organization_networks_set(
        organization=small, networks="203.0.113.16/28", actor=Actor.system("test")
    )
    visit("/en/", "203.0.113.20")  # logged as 203.0.113.0/24: could be any of 16 owners
    assert organizations_identified(actor=Actor.staff(marketer)) == []


def test_networks_are_checked_normalised_and_audited(acme, privacy_officer):
    saved = organization_networks_set(
        organization=acme,
        networks="2001:db8::1/32, 203.0.113.0/24 203.0.113.0/24",
        actor=Actor.staff(privacy_officer),
    )
    assert saved == ["2001:db8::/32", "203.0.113.0/24"]
    assert AuditEntry.objects.filter(action="organization.networks_set").count() == 2
    with pytest.raises(ValidationError, match="not a network"):
        organization_networks_set(
            organization=acme, networks="acme.cn", actor=Actor.staff(privacy_officer)
        )
    acme.refresh_from_db()
    assert acme.networks == ["2001:db8::/32", "203.0.113.0/24"]


def test_who_may_see_and_who_may_declare(acme, sales_expert, marketer):
    with pytest.raises(PermissionDenied):
        organizations_identified(actor=Actor.staff(sales_expert))
    with pytest.raises(PermissionDenied):
        organization_networks_set(
            organization=acme, networks="10.0.0.0/8", actor=Actor.staff(marketer)
        )


def test_the_console_pages(acme, marketer, privacy_officer, client_for):
    visit("/en/", "203.0.113.7")
    page = client_for(marketer).get("/en/console/organizations/visiting/?days=abc")
    assert page.status_code == 200 and "Acme Robots" in page.text
    assert "203.0.113" not in page.text  # organisations, not addresses
    officer = client_for(privacy_officer)
    url = f"/en/console/organizations/{acme.public_id}/"
    refused = officer.post(url, {"action": "networks", "networks": "not-a-net"})
    assert refused.status_code == 400 and "not a network" in refused.text
    assert (
        officer.post(url, {"action": "networks", "networks": "198.51.100.0/24"}).status_code == 302
    )
    acme.refresh_from_db()
    assert acme.networks == ["198.51.100.0/24"]
    chinese = client_for(marketer).get("/console/organizations/visiting/")
    assert "来访的组织" in chinese.text
