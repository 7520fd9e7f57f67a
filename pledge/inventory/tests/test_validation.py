"""Every kind of mistake in an inventory is refused with the file, the line, the entry and the fix.

Each test edits a copy of sites/gonex the way a person might get it wrong, and checks the
problem that comes out: its code (CODES in problems.py), the entry it names, the line, and
words of the fix a non-programmer can act on.
"""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError

from pledge.inventory.problems import CODES


def only(problems, code):
    """The one problem with ``code``; fails listing them all if there is not exactly one."""
    matching = [problem for problem in problems if problem.code == code]
    assert len(matching) == 1, [str(problem) for problem in problems]
    return matching[0]


def test_the_gonex_inventory_is_valid(site_copy):
    site = site_copy.load()
    assert site.inventory.organization.domain == "letsgonex.cn"


def test_a_missing_inventory_file_says_where_it_was_looked_for_e001(site_copy):
    site_copy.inventory_path.unlink()
    problem = only(site_copy.problems(), "E001")
    assert "inventory.toml" in problem.location
    assert "PLEDGE_SITE" in problem.fix


def test_a_toml_syntax_error_names_its_line_e002(site_copy):
    site_copy.edit('domain = "letsgonex.cn"', 'domain = "letsgonex.cn')
    problem = only(site_copy.problems(), "E002")
    assert problem.line == site_copy.line_of('domain = "letsgonex.cn')
    assert f"line {problem.line}" in problem.location
    assert "missing quote" in problem.fix


def test_a_cookie_without_category_is_refused_e003(site_copy):
    site_copy.edit('category = "analytics"\n', "")
    problem = only(site_copy.problems(), "E003")
    assert problem.entry == "cookies.visitor"
    assert problem.line == site_copy.line_of("[cookies.visitor]")
    assert "category is missing" in problem.message
    assert "necessary, preferences, analytics, marketing" in problem.fix


def test_a_misspelt_key_is_refused_with_a_suggestion_e004(site_copy):
    site_copy.edit('retention_days = 90\nwidget = "email"', 'retension_days = 90\nwidget = "email"')
    problems = site_copy.problems()
    problem = only(problems, "E004")
    assert problem.entry == "forms.feedback.fields.reply_email"
    assert problem.line == site_copy.line_of("retension_days")
    assert "did you mean 'retention_days'?" in problem.fix


def test_a_value_of_the_wrong_kind_says_what_is_expected_e005(site_copy):
    site_copy.edit('ip_mode = "truncated"', 'ip_mode = "partial"')
    problem = only(site_copy.problems(), "E005")
    assert problem.entry == "request_log"
    assert problem.line == site_copy.line_of('ip_mode = "partial"')
    assert "'full', 'truncated' or 'hashed'" in problem.message


def test_a_text_missing_a_language_is_refused_e006(site_copy):
    site_copy.edit(
        'name = { zh-hans = "预约免费演示", en = "Book a free demo" }',
        'name = { zh-hans = "预约免费演示" }',
    )
    problem = only(site_copy.problems(), "E006")
    assert problem.entry == "forms.demo"
    assert "en is missing" in problem.message
    assert "zh-hans" in problem.fix and "en" in problem.fix


def test_an_unknown_data_category_is_refused_with_the_closest_key_e010(site_copy):
    site_copy.edit(
        'category = "user.contact.email"\nrequired = true\npurposes = ["employment.recruitment"]',
        'category = "user.contact.emial"\nrequired = true\npurposes = ["employment.recruitment"]',
    )
    problem = only(site_copy.problems(), "E010")
    assert problem.entry == "forms.job_application.fields.email"
    assert "did you mean 'user.contact.email'?" in problem.fix


def test_an_unknown_data_use_is_refused_e011(site_copy):
    site_copy.edit_in(
        "forms.feedback.fields.product_comments",
        '"functional.service.improve"',
        '"functional.service.improv"',
    )
    problem = only(site_copy.problems(), "E011")
    assert problem.entry == "forms.feedback.fields.product_comments"
    assert "did you mean 'functional.service.improve'?" in problem.fix


def test_an_unknown_data_subject_is_refused_e012(site_copy):
    site_copy.edit('subjects = ["job_applicant"]', 'subjects = ["applicant"]')
    problem = only(site_copy.problems(), "E012")
    assert problem.entry == "forms.job_application"
    assert "job_applicant" in problem.fix


def test_an_extension_needs_an_existing_parent_e013(site_copy):
    site_copy.edit(
        '[data_categories."user.device.browser"]', '[data_categories."user.gadget.browser"]'
    )
    site_copy.edit_in(
        "request_log.fields.browser_family", '"user.device.browser"', '"user.gadget.browser"'
    )
    site_copy.edit_in(
        "request_log.fields.browser_version", '"user.device.browser"', '"user.gadget.browser"'
    )
    site_copy.edit(
        '"user.behavior.browsing_history", "user.device.browser"]',
        '"user.behavior.browsing_history", "user.gadget.browser"]',
    )
    problem = only(site_copy.problems(), "E013")
    assert problem.entry == 'data_categories."user.gadget.browser"'
    assert "'user.gadget' is neither" in problem.message


def test_an_extension_may_not_redeclare_a_fideslang_key_e013(site_copy):
    site_copy.edit(
        '[data_categories."user.name"]\nname = { zh-hans = "姓名", en = "Name" }',
        '[data_categories."user.name"]\nname = { zh-hans = "姓名", en = "Name" }\nextension = true',
    )
    problem = only(site_copy.problems(), "E013")
    assert "remove `extension = true`" in problem.fix


def test_a_purpose_without_a_legal_basis_is_refused_e014(site_copy):
    site_copy.edit_in(
        "forms.feedback.fields.product_comments",
        '"functional.service.improve"',
        '"personalize.content"',
    )
    problem = only(site_copy.problems(), "E014")
    assert problem.entry == "forms.feedback.fields.product_comments"
    assert '[uses."personalize.content"]' in problem.fix


def test_a_sale_purpose_does_not_exist_e015(site_copy):
    site_copy.edit(
        '[uses."sales"]',
        '[uses."third_party_sharing.sale"]\nname = { zh-hans = "出售", en = "Sale" }\n'
        'legal_basis = "consent"\nextension = true\n\n[uses."sales"]',
    )
    problem = only(site_copy.problems(), "E015")
    assert problem.entry == 'uses."third_party_sharing.sale"'
    assert "P12" in problem.message


def test_a_category_the_policy_cannot_name_is_refused_e016(site_copy):
    site_copy.edit_in(
        "forms.job_application.fields.position", '"user.content.private"', '"user.job_title"'
    )
    problem = only(site_copy.problems(), "E016")
    assert problem.entry == "forms.job_application.fields.position"
    assert '[data_categories."user.job_title"]' in problem.fix


def test_a_field_with_no_purpose_is_refused_e020(site_copy):
    site_copy.edit(
        'required = true\npurposes = ["marketing.communications.email"]\nretention_days = 30',
        "required = true\npurposes = []\nretention_days = 30",
    )
    problem = only(site_copy.problems(), "E020")
    assert problem.entry == "forms.newsletter.fields.email"
    assert problem.line == site_copy.line_of("purposes = []")
    assert 'add `purposes = ["..."]`' in problem.fix


def test_a_retention_of_zero_is_refused_e021(site_copy):
    site_copy.edit("retention_days = 90", "retention_days = 0")
    problem = only(site_copy.problems(), "E021")
    assert problem.entry == "forms.feedback.fields.reply_email"
    assert problem.line == site_copy.line_of("retention_days = 0")
    assert "above 0" in problem.message


def test_a_necessary_cookie_may_not_serve_analytics_e022(site_copy):
    site_copy.edit(
        'category = "analytics"\npurposes = ["analytics.reporting.content_performance"]',
        'category = "necessary"\npurposes = ["analytics.reporting.content_performance"]',
    )
    problem = only(site_copy.problems(), "E022")
    assert problem.entry == "cookies.visitor"
    assert "declared necessary" in problem.message


def test_a_processor_receiving_a_category_it_has_no_use_for_is_refused_e023(site_copy):
    site_copy.edit(
        'purposes = ["sales"]\ncategories = ["user.workplace"]',
        'purposes = ["sales"]\ncategories = ["user.workplace", "user.demographic.age_range"]',
    )
    problem = only(site_copy.problems(), "E023")
    assert problem.entry == "processors.market_intelligence"
    assert "'user.demographic.age_range'" in problem.message
    assert "remove 'user.demographic.age_range'" in problem.fix


def test_a_required_consent_checkbox_is_refused_e024(site_copy):
    site_copy.edit_in(
        "forms.demo.fields.future_communications", "required = false", "required = true"
    )
    problem = only(site_copy.problems(), "E024")
    assert problem.entry == "forms.demo.fields.future_communications"
    assert "set `required = false`" in problem.fix


def test_a_choice_field_without_choices_is_refused_e025(site_copy):
    site_copy.edit(
        'widget = "text"\nmax_length = 200\n\n[forms.contact.fields.message]',
        'widget = "choice"\nmax_length = 200\n\n[forms.contact.fields.message]',
    )
    problem = only(site_copy.problems(), "E025")
    assert problem.entry == "forms.contact.fields.subject"
    assert "no choices" in problem.message


def test_a_file_field_without_size_limit_is_refused_e026(site_copy):
    site_copy.edit("max_bytes = 5242880\n", "")
    problem = only(site_copy.problems(), "E026")
    assert problem.entry == "forms.job_application.fields.cv"
    assert "max_bytes" in problem.fix


def test_minors_without_the_pipl_threshold_of_14_are_refused_e027(site_copy):
    site_copy.edit("age = 14\n", "age = 16\n")
    site_copy.edit('age = 16\nrule = "guardian_consent"', 'age = 16\nrule = "guardian_involvement"')
    problem = only(site_copy.problems(), "E027")
    assert problem.entry == "minors.thresholds"
    assert "age = 14" in problem.fix


def test_a_reference_to_an_undeclared_right_is_refused_e028(site_copy):
    site_copy.edit(
        'opt_out_right = "organisation_identification_opt_out"',
        'opt_out_right = "organisation_identification_opt_ot"',
    )
    problem = only(site_copy.problems(), "E028")
    assert problem.entry == "organisation_identification"
    assert "names no right" in problem.message


def test_a_missing_right_the_site_relies_on_is_refused_e029(site_copy):
    site_copy.edit("[rights.requests.do_not_contact]", "[rights.requests.no_contact]")
    problem = only(site_copy.problems(), "E029")
    assert "'do_not_contact'" in problem.message
    assert "[rights.requests.do_not_contact]" in problem.fix


def test_feedback_keeping_an_email_with_the_answers_is_refused_p20_e030(site_copy):
    site_copy.edit("kept_apart = true  # P20", "")
    problem = only(site_copy.problems(), "E030")
    assert problem.entry == "forms.feedback.fields.reply_email"
    assert "kept_apart = true" in problem.fix


def test_a_form_field_without_widget_is_refused_e031(site_copy):
    site_copy.edit_in("forms.demo.fields.preferred_times", 'widget = "multichoice"\n', "")
    problem = only(site_copy.problems(), "E031")
    assert problem.entry == "forms.demo.fields.preferred_times"


def test_a_cookie_with_two_lifetimes_is_refused_e032(site_copy):
    site_copy.edit(
        'name = "pledge_visitor"\nlifetime_days = 365',
        'name = "pledge_visitor"\nlifetime_days = 365\nbrowser_session = true',
    )
    problem = only(site_copy.problems(), "E032")
    assert problem.entry == "cookies.visitor"
    assert "exactly one of lifetime_days" in problem.fix


def test_two_cookies_with_one_name_are_refused_e033(site_copy):
    site_copy.edit('name = "pledge_arrival"', 'name = "pledge_visitor"')
    problem = only(site_copy.problems(), "E033")
    assert "visitor and arrival" in problem.message


def test_a_marketing_list_without_double_opt_in_is_refused_p13_e034(site_copy):
    site_copy.edit_in("mailing_lists.newsletter", "double_opt_in = true", "double_opt_in = false")
    problem = only(site_copy.problems(), "E034")
    assert problem.entry == "mailing_lists.newsletter"


def test_a_policy_text_missing_for_a_language_is_refused_e040(site_copy):
    (site_copy.directory / "policy" / "cookies.en.html").unlink()
    problem = only(site_copy.problems(), "E040")
    assert "cookies.en.html" in problem.location
    assert "policy/cookies.en.html" in problem.fix


def test_a_broken_policy_text_names_its_line_e041(site_copy):
    site_copy.edit(
        "{% for source in other_sources %}",
        "{% for source in other_sources %",
        "policy/privacy.en.html",
    )
    problem = only(site_copy.problems(), "E041")
    assert "privacy.en.html" in problem.location
    assert problem.line is not None
    assert f"line {problem.line}" in problem.location


def test_every_code_has_a_test():
    """A new kind of problem needs a test here; this list fails when one is forgotten."""
    tested = {name.rsplit("_", 1)[-1].upper() for name in globals() if name.startswith("test_")}
    assert set(CODES) - tested == set()


# --- How the problems reach people --------------------------------------------------------


@pytest.mark.django_db
def test_a_broken_inventory_stops_start_up_with_the_entry_and_the_fix(use_site):
    use_site.edit("retention_days = 90", "retention_days = 0")
    with pytest.raises(SystemCheckError) as raised:
        call_command("check")
    message = str(raised.value)
    assert "inventory.E021" in message
    assert "inventory.toml, line" in message
    assert "forms.feedback.fields.reply_email" in message
    assert "HINT: set retention_days to how long it really is" in message


def test_inventory_check_validates_a_file_without_starting_the_site(site_copy, capsys):
    call_command("inventory", "check", str(site_copy.inventory_path))
    assert "the inventory is valid" in capsys.readouterr().out


def test_inventory_check_lists_every_problem_and_fails(site_copy, capsys):
    site_copy.edit('ip_mode = "truncated"', 'ip_mode = "partial"')
    site_copy.edit('category = "analytics"\n', "")
    with pytest.raises(CommandError, match="2 problems found"):
        call_command("inventory", "check", str(site_copy.inventory_path))
    errors = capsys.readouterr().err
    assert "(E003)" in errors and "(E005)" in errors
    assert errors.count("Fix:") == 2
