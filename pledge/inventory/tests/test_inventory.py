"""The Python API other apps read: Gonex's declarations, typed, frozen and cached."""

import pytest
from django.utils import translation
from pydantic import ValidationError

from pledge.inventory.loader import current_inventory, current_site, site_cache_clear
from pledge.inventory.schema import REQUEST_LOG_FIELDS
from pledge.inventory.taxonomy import default_keys

SEED_FORMS = ["demo", "interest", "contact", "feedback", "job_application", "newsletter", "account"]


@pytest.fixture
def inventory():
    return current_inventory()


def test_the_seven_forms_of_p05_are_declared_in_order(inventory):
    assert list(inventory.forms) == SEED_FORMS


@pytest.mark.parametrize(
    ("form", "fields"),
    [
        ("demo", ["name", "email", "company", "phone", "meeting_mode", "preferred_times"]),
        ("interest", ["name", "email", "employer", "heard_about", "phone", "business_need"]),
        ("contact", ["name", "email", "phone", "company", "subject", "message", "inquiry_type"]),
        ("feedback", ["product_comments", "website_comments", "reply_email"]),
        ("job_application", ["name", "email", "phone", "position", "cv", "age_band"]),
        ("newsletter", ["email", "lists"]),
        ("account", ["name", "email", "password", "age_band", "future_communications"]),
    ],
)
def test_each_form_declares_the_fields_the_seed_policy_lists(inventory, form, fields):
    assert set(fields) <= set(inventory.form(form).fields)


def test_the_mailto_links_are_a_declared_collection_channel(inventory):
    mailto = inventory.channel("mailto")
    assert mailto.field("sender_address").category == "user.contact.email"
    assert mailto in inventory.collection_points


def test_every_field_carries_what_a_form_needs_to_render_it(inventory):
    for form in inventory.forms.values():
        for field in form.field_list:
            assert field.widget, field.key
            assert field.purposes, field.key
            assert field.retention_days > 0, field.key
            for language in ("zh-hans", "en"):
                assert field.label.get(language), (form.key, field.key, language)


def test_contact_inquiry_types_are_those_of_the_seed(inventory):
    choices = inventory.form("contact").field("inquiry_type").choices
    assert [choice.value for choice in choices] == ["developer", "licensor", "distributor", "other"]
    assert choices[1].label.get("zh-hans") == "许可人"


def test_consent_fields_are_optional_checkboxes_with_their_words_p17(inventory):
    consents = inventory.form("account").consent_fields
    assert [field.key for field in consents] == ["future_communications"]
    (field,) = consents
    assert field.widget == "checkbox" and not field.required
    assert "unsubscribe" in field.consent_text.get("en")


def test_feedback_is_not_linked_to_a_person_and_its_reply_address_is_kept_apart_p20(inventory):
    feedback = inventory.form("feedback")
    assert feedback.links_to_person is False
    reply = feedback.field("reply_email")
    assert reply.kept_apart and reply.retention_days == 90


def test_a_cv_upload_declares_its_types_and_size(inventory):
    cv = inventory.form("job_application").field("cv")
    assert cv.accept == (".pdf", ".doc", ".docx")
    assert cv.max_bytes == 5 * 1024 * 1024


def test_how_you_heard_of_us_is_a_declared_extension_key(inventory):
    field = inventory.form("interest").field("heard_about")
    assert field.category == "user.behavior.referral_source"
    assert field.category not in default_keys("data_category")
    assert inventory.category(field.category).extension


def test_cookies_come_grouped_by_category_in_a_fixed_order(inventory):
    grouped = inventory.cookies_by_category()
    assert list(grouped) == ["necessary", "preferences", "analytics", "marketing"]
    assert [cookie.key for cookie in grouped["necessary"]] == ["session", "csrf", "consent"]
    assert grouped["preferences"] == ()
    assert [cookie.key for cookie in grouped["analytics"]] == ["visitor"]


def test_the_session_cookie_is_named_by_the_running_settings(settings):
    settings.SESSION_COOKIE_NAME = "__Host-session"
    settings.CSRF_COOKIE_NAME = "__Host-csrftoken"
    site_cache_clear()
    inventory = current_inventory()
    assert inventory.cookie("session").name == "__Host-session"
    assert inventory.cookie("csrf").name == "__Host-csrftoken"
    assert inventory.cookie("session").lifetime_seconds == settings.SESSION_COOKIE_AGE
    site_cache_clear()


def test_the_promotional_arrival_cookie_lasts_the_browser_session_p09(inventory):
    arrival = inventory.cookie("arrival")
    assert arrival.lifetime_seconds is None
    assert arrival.needs_consent


def test_the_request_log_declares_its_fields_ip_mode_and_retention_p08(inventory):
    log = inventory.request_log
    assert set(log.fields) == set(REQUEST_LOG_FIELDS)  # every field the log can record
    assert log.ip_mode == "truncated"
    assert log.retention_days == 180


def test_the_four_processor_functions_of_p12_are_declared(inventory):
    assert list(inventory.processors) == [
        "list_purchase",
        "customer_data_analysis",
        "market_intelligence",
        "lead_generation",
    ]
    assert "user.contact.email" not in inventory.processor("market_intelligence").categories


def test_affiliates_name_their_opt_out_p14(inventory):
    assert inventory.affiliate("group").opt_out_right == "affiliate_sharing_opt_out"


def test_every_use_has_a_legal_basis_and_none_is_a_sale(inventory):
    for key, use in inventory.uses.items():
        assert use.legal_basis
        assert "sale" not in key.split(".")


def test_rights_default_to_a_30_day_deadline(inventory):
    assert inventory.rights.deadline_days == 30
    assert inventory.rights.deadline_for("access") == 30
    assert inventory.rights.deadline_for("unsubscribe") == 2
    assert inventory.rights.right("do_not_contact").scopes == ("person", "organisation")


def test_age_bands_follow_the_thresholds_13_14_and_18_p19(inventory):
    bands = inventory.minors.age_bands
    assert [band.key for band in bands] == ["under_13", "age_13", "14_to_17", "18_and_over"]
    assert [band.needs_guardian_consent for band in bands] == [True, True, False, False]
    assert [band.needs_guardian_involvement for band in bands] == [True, True, True, False]
    with translation.override("zh-hans"):
        assert bands[0].label == "未满 13 周岁"
    with translation.override("en"):
        assert bands[-1].label == "18 or over"


def test_legal_holds_say_what_is_kept_after_erasure_and_why(inventory):
    hold = inventory.legal_hold("network_logs")
    assert hold.days == 180
    assert "Article 21" in hold.law.get("en")
    assert inventory.legal_hold("suppression").kept_while is not None


def test_texts_print_in_the_active_language(inventory):
    name = inventory.form("demo").name
    with translation.override("zh-hans"):
        assert str(name) == "预约免费演示"
    with translation.override("en"):
        assert str(name) == "Book a free demo"


def test_the_inventory_cannot_be_changed_in_memory(inventory):
    with pytest.raises(ValidationError):
        inventory.form("demo").field("email").required = False
    with pytest.raises(TypeError):
        inventory.forms["spam"] = inventory.form("demo")
    with pytest.raises(AttributeError):
        inventory.form("demo").name.en = "Changed"


def test_the_inventory_is_loaded_once_and_again_when_its_file_changes(use_site):
    first = current_site()
    assert current_site() is first
    use_site.edit("retention_days = 90", "retention_days = 60")
    reloaded = current_site()
    assert reloaded is not first
    assert reloaded.inventory.form("feedback").field("reply_email").retention_days == 60


def test_a_site_without_affiliates_or_processors_may_leave_their_tables_out(site_copy):
    text = site_copy.inventory_path.read_text()
    start = text.index("[processors.list_purchase]")
    end = text.index("# --- Where else personal data comes from")
    text = text[:start] + text[end:]
    for form in ("demo", "interest", "contact"):  # no affiliate, so no box to share with one
        box = text.index(f"[forms.{form}.fields.share_group]")
        text = text[:box] + text[text.index("\n[", box) + 1 :]
    site_copy.inventory_path.write_text(text)
    inventory = site_copy.load().inventory
    assert dict(inventory.processors) == {} and dict(inventory.affiliates) == {}
