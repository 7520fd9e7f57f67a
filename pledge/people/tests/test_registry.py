"""The personal data registry's system check: a personal table nobody covers stops start-up
(DESIGN.md "Personal data providers", P02, P18)."""

import pytest
from django.core.management import call_command
from django.db import models
from django.test.utils import isolate_apps

from pledge.people import registry
from pledge.people.checks import coverage_errors
from pledge.people.registry import PersonalDataProvider, exempt_register, provider_register
from pledge.vault.fields import EncryptedTextField


@pytest.fixture
def clean_registry():
    """Registrations made by a test are undone after it."""
    providers, exemptions = dict(registry._providers), dict(registry._exemptions)
    yield
    registry._providers.clear()
    registry._providers.update(providers)
    registry._exemptions.clear()
    registry._exemptions.update(exemptions)


def test_every_personal_table_of_pledge_is_covered():
    assert coverage_errors() == []
    call_command("check")  # the same check runs before every pledge command


@isolate_apps("pledge.people")
def test_a_table_linking_to_a_person_without_a_provider_is_named(clean_registry):
    class Stray(models.Model):
        person = models.ForeignKey("people.Person", on_delete=models.CASCADE)

    errors = coverage_errors(models=[Stray])
    assert [error.id for error in errors] == ["people.E001"]
    assert "people.Stray" in errors[0].msg
    assert "links to Person through 'person'" in errors[0].msg
    assert "provider_register" in errors[0].hint


@isolate_apps("pledge.people")
def test_a_table_with_an_encrypted_field_without_a_provider_is_named(clean_registry):
    class Notes(models.Model):
        text = EncryptedTextField()

    errors = coverage_errors(models=[Notes])
    assert [error.id for error in errors] == ["people.E001"]
    assert "has the encrypted field 'text'" in errors[0].msg


@isolate_apps("pledge.people")
def test_a_provider_or_an_exemption_covers_the_table(clean_registry):
    class Covered(models.Model):
        person = models.ForeignKey("people.Person", on_delete=models.CASCADE)

    class Anonymous(models.Model):
        text = EncryptedTextField()

    provider_register(
        PersonalDataProvider(key="test.covered", models=("people.Covered",), export=list)
    )
    exempt_register("people.Anonymous", reason="holds nobody's data, for the test")
    assert [error.id for error in coverage_errors(models=[Covered, Anonymous])] == []


@isolate_apps("pledge.people")
def test_an_unrelated_table_needs_nothing(clean_registry):
    class Rollup(models.Model):
        views = models.IntegerField()

    assert coverage_errors(models=[Rollup]) == []


def test_a_provider_naming_a_table_that_does_not_exist_is_an_error(clean_registry):
    provider_register(PersonalDataProvider(key="test.typo", models=("people.Persn",), export=list))
    errors = [error for error in coverage_errors() if error.id == "people.E002"]
    assert len(errors) == 1 and "people.Persn" in errors[0].msg


def test_providers_erase_in_order_with_the_person_last():
    keys = [provider.key for provider in registry.providers()]
    assert keys[-1] == "people.person"
    assert keys.index("people.account") < keys.index("people.person")
