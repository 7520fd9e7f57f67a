"""`pledge inventory export --format fides`: the data map in Fides' format, valid for fideslang."""

import json
import warnings

import yaml
from django.core.management import call_command

from pledge.inventory.fides import fides_manifest, fides_validate
from pledge.inventory.loader import current_inventory


def test_the_export_is_a_valid_fides_taxonomy_with_known_keys():
    manifest = fides_manifest(current_inventory())
    assert fides_validate(manifest) == []
    from fideslang.parse import load_manifests_into_taxonomy

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        taxonomy = load_manifests_into_taxonomy(manifest)
    assert {system.fides_key for system in taxonomy.system} >= {"letsgonex.cn_website"}


def test_each_processor_system_receives_only_its_declared_categories_p12():
    inventory = current_inventory()
    systems = {system["fides_key"]: system for system in fides_manifest(inventory)["system"]}
    processor = systems["letsgonex.cn_processor_market_intelligence"]
    for declaration in processor["privacy_declarations"]:
        assert declaration["data_categories"] == ["user.workplace"]


def test_each_form_is_a_dataset_whose_fields_carry_their_categories():
    datasets = {d["fides_key"]: d for d in fides_manifest(current_inventory())["dataset"]}
    demo = datasets["letsgonex.cn_form_demo"]["collections"][0]
    email = next(field for field in demo["fields"] if field["name"] == "email")
    assert email["data_categories"] == ["user.contact.email"]
    assert "sales" in email["data_uses"]


def test_the_sites_extension_keys_travel_with_the_export():
    manifest = fides_manifest(current_inventory())
    keys = {category["fides_key"]: category for category in manifest["data_category"]}
    assert keys["user.behavior.referral_source"]["parent_key"] == "user.behavior"


def test_an_unknown_key_in_the_export_is_caught():
    manifest = fides_manifest(current_inventory())
    manifest["dataset"][0]["collections"][0]["fields"][0]["data_categories"] = ["user.nowhere"]
    assert fides_validate(manifest) == ["unknown key: user.nowhere"]


def test_the_command_writes_yaml_or_json(tmp_path):
    call_command("inventory", "export", "--format", "fides", "--output", str(tmp_path / "map.yml"))
    as_yaml = yaml.safe_load((tmp_path / "map.yml").read_text())
    call_command("inventory", "export", "--output", str(tmp_path / "map.json"))
    as_json = json.loads((tmp_path / "map.json").read_text())
    assert as_yaml == as_json
    assert set(as_yaml) >= {"organization", "system", "dataset"}
