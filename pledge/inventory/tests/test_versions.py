"""Policy versions: published from the command line, numbered, dated, and never changed (P23)."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from pledge.inventory.loader import current_site
from pledge.inventory.models import PolicyVersion, PolicyVersionImmutable
from pledge.inventory.services import (
    NothingToPublish,
    policy_diff,
    policy_in_force,
    policy_publish,
    policy_version_get,
)

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


def publish(summary="A change", material=False):
    return policy_publish(summary={"en": summary}, material=material, published_by="alice")


def test_no_version_is_in_force_before_the_first_publication():
    assert policy_in_force() is None


def test_publishing_snapshots_the_inventory_and_every_rendered_text():
    version = publish("First")
    site = current_site()
    assert version.number == 1
    assert version.inventory == site.data
    assert set(version.texts) == {"privacy", "cookies"}
    assert set(version.texts["privacy"]) == {"zh-hans", "en"}
    assert version.content_hash == site.content_hash
    assert version.verify()
    assert policy_in_force() == version


def test_publishing_with_no_change_is_refused_with_the_version_in_force():
    publish()
    with pytest.raises(NothingToPublish, match="the same as version 1"):
        publish("Again")
    assert PolicyVersion.objects.count() == 1


def test_a_change_to_the_declarations_publishes_the_next_number(use_site):
    first = publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    second = publish("Reply addresses are kept 60 days", material=True)
    assert (second.number, second.material) == (2, True)
    assert second.content_hash != first.content_hash
    assert policy_in_force() == second
    assert policy_version_get(number=1).text("privacy", "en") == first.text("privacy", "en")


def test_a_change_to_the_prose_alone_is_a_new_version(use_site):
    publish()
    use_site.edit('<h2 id="links">', '<h2 id="links" class="x">', "policy/privacy.en.html")
    assert publish("Layout").number == 2


def test_a_published_version_cannot_be_saved_again():
    version = publish()
    version.summary = {"en": "Rewritten"}
    with pytest.raises(PolicyVersionImmutable):
        version.save()
    assert policy_version_get(number=1).summary == {"en": "A change"}


def test_a_published_version_cannot_be_deleted():
    version = publish()
    with pytest.raises(PolicyVersionImmutable):
        version.delete()
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.all().delete()
    assert PolicyVersion.objects.count() == 1


def test_bulk_updates_are_refused():
    publish()
    with pytest.raises(PolicyVersionImmutable):
        PolicyVersion.objects.update(material=True)


def test_the_database_refuses_to_rewrite_a_version_even_in_raw_sql():
    publish()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE inventory_policyversion SET material = %s", [True])
    assert policy_version_get(number=1).material is False


def test_a_tampered_snapshot_no_longer_verifies():
    version = publish()
    version.texts["privacy"]["en"] += "<p>We sell data.</p>"
    assert not version.verify()


def test_the_diff_shows_the_lines_that_changed(use_site):
    first = publish()
    use_site.edit("retention_days = 90", "retention_days = 60")
    second = publish()
    difference = policy_diff(older=first, newer=second, language="en")
    privacy = next(d for d in difference.documents if d.document == "privacy")
    added = [line.text for line in privacy.lines if line.kind == "added"]
    removed = [line.text for line in privacy.lines if line.kind == "removed"]
    assert any("60 days" in line for line in added)
    assert any("90 days" in line for line in removed)
    cookies = next(d for d in difference.documents if d.document == "cookies")
    assert not cookies.changed
    (change,) = difference.declarations
    assert change.entry == "forms.feedback.fields.reply_email.retention_days"
    assert (change.old, change.new) == ("90", "60")


# --- The command --------------------------------------------------------------------------


def test_the_command_publishes_with_a_summary_in_both_languages(capsys):
    call_command(
        "policy",
        "publish",
        "--minor",
        "--summary",
        "首次发布",
        "--summary-en",
        "First",
        "--by",
        "bob",
    )
    assert "Published policy version 1 (minor)" in capsys.readouterr().out
    version = policy_in_force()
    assert version.summary == {"zh-hans": "首次发布", "en": "First"}
    assert version.published_by == "bob"


def test_the_command_refuses_to_publish_no_change():
    call_command("policy", "publish", "--minor", "--summary", "First")
    with pytest.raises(CommandError, match="Nothing to publish"):
        call_command("policy", "publish", "--material", "--summary", "Again")


def test_the_command_needs_to_know_whether_the_change_is_material():
    with pytest.raises(CommandError, match="--material --minor"):
        call_command("policy", "publish", "--summary", "First")


def test_the_command_lists_versions_and_unpublished_changes(use_site, capsys):
    call_command("policy", "publish", "--minor", "--summary", "First")
    use_site.edit("retention_days = 90", "retention_days = 60")
    call_command("policy", "list")
    output = capsys.readouterr().out
    assert "   1  " in output and "First" in output
    assert "changed since version 1" in output
