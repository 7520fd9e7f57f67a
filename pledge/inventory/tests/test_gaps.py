"""Who is responsible (PIPL Art. 17, 52): the legal entity with its address and the personal
information protection officer are declared in [organisation], shown by the policy when
present, and `pledge inventory check` warns (without failing) while they are empty."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from pledge.inventory.gaps import WARNINGS, inventory_gaps
from pledge.inventory.loader import site_load

EXAMPLE = Path(settings.BASE_DIR) / "sites" / "example"
OFFICER = """
[organisation.protection_officer]
contact = "dpo@letsgonex.com"
"""


@pytest.fixture(scope="module")
def example():
    return site_load(EXAMPLE)


def test_the_example_sites_policy_names_the_legal_entity_its_address_and_the_officer(example):
    english = str(example.texts["privacy"]["en"])
    contact = english.split('id="contact"')[1]
    assert "Northwind Analytics (Shanghai) Ltd. is responsible for your personal information" in (
        contact
    )
    assert "1 Example Road, Shanghai" in contact
    assert "personal information protection officer, Wang Fang," in contact
    assert 'href="mailto:dpo@northwind.example"' in contact
    chinese = str(example.texts["privacy"]["zh-hans"]).split('id="contact"')[1]
    assert "北风分析（上海）有限公司" in chinese and "上海市示例路 1 号" in chinese
    assert "个人信息保护负责人王芳" in chinese and "dpo@northwind.example" in chinese


def test_the_declared_legal_entity_is_the_footers_too(example):
    assert example.legal_name.get("en") == "Northwind Analytics (Shanghai) Ltd."


def test_the_example_site_has_nothing_to_warn_about(example, capsys, settings):
    assert inventory_gaps(example.inventory) == []
    settings.SITE_DIR = EXAMPLE
    call_command("inventory", "check")
    assert "Warning" not in capsys.readouterr().out


def test_gonex_check_warns_of_what_the_law_asks_and_still_passes(site_copy, capsys):
    call_command("inventory", "check", str(site_copy.inventory_path))
    output = capsys.readouterr().out
    assert "the inventory is valid" in output
    for code in WARNINGS:
        assert f"({code})" in output
    assert "legal entity's registered name is empty" in output and "Art. 17" in output
    assert "postal address is empty" in output
    assert "protection officer's contact" in output and "Art. 52" in output
    assert "inventory.toml, line" in output  # where to add them


def test_gonex_policy_shows_nothing_of_what_it_does_not_declare(site_copy):
    english = str(site_copy.load().texts["privacy"]["en"]).split('id="contact"')[1]
    assert "personal information handler responsible" not in english
    assert "protection officer" not in english


def test_a_declared_officer_is_shown_and_no_longer_warned(site_copy, capsys):
    site_copy.edit('country = "CN"\n', 'country = "CN"\n' + OFFICER)
    site = site_copy.load()
    assert [gap.code for gap in inventory_gaps(site.inventory)] == ["W001", "W002"]
    english = str(site.texts["privacy"]["en"])
    assert 'protection officer can be reached at <a href="mailto:dpo@letsgonex.com">' in english
    assert 'href="mailto:dpo@letsgonex.com"' in str(site.texts["privacy"]["zh-hans"])


@pytest.mark.parametrize(
    ("officer", "code", "words"),
    [
        (
            '[organisation.protection_officer]\nname = { zh-hans = "王", en = "Wang" }\n',
            "E003",
            "contact is missing",
        ),
        ('[organisation.protection_officer]\ncontact = "the officer"\n', "E005", "email address"),
    ],
)
def test_an_officer_without_a_usable_contact_is_refused(site_copy, officer, code, words):
    site_copy.edit('country = "CN"\n', 'country = "CN"\n' + officer)
    [problem] = [problem for problem in site_copy.problems() if problem.code == code]
    assert problem.entry == "organisation.protection_officer"
    assert words in f"{problem.message} {problem.fix}"
