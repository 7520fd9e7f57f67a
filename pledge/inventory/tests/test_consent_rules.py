"""No bundled consent, declared so (PIPL Art. 14, 23, 29, 38-39): the inventory rules refuse a
consent box that names nothing declared, a box ticked in advance, a box for a transfer abroad
that is none, a form collecting sensitive information without its own box, and a purpose
needing consent that neither the request nor any box covers.

Each test edits a copy of sites/gonex the way a person might get it wrong (``site_copy``).
"""

from pledge.inventory.tests.test_validation import only

SUPPORT = "essential.service.operations.support"
HEALTH_CATEGORY = """
[data_categories."user.health_and_medical"]
name = { zh-hans = "健康信息", en = "Health information" }
sensitive = true
"""
HEALTH_FIELD = """
[forms.contact.fields.accessibility]
label = { zh-hans = "无障碍需求", en = "Accessibility needs" }
category = "user.health_and_medical"
required = false
purposes = ["essential.service.operations.support"]
retention_days = 730
widget = "textarea"
max_length = 500
"""
HEALTH_BOX = """
[forms.contact.fields.accessibility_consent]
label = { zh-hans = "健康信息", en = "Health information" }
category = "user.privacy_preferences"
required = false
purposes = ["essential.service.operations.support"]
retention_days = 1095
retention_from = "withdrawal"
widget = "checkbox"
consent = true
consent_subject = "sensitive:user.health_and_medical"
consent_text = { zh-hans = "我同意 Gonex 使用我写下的无障碍需求来安排回应。", en = "I agree that Gonex may use the accessibility needs I write to arrange its answer." }
"""


def add_tables(site_copy, *tables: str) -> None:
    """Append TOML tables at the end of the copy's inventory (tables may come in any order)."""
    with site_copy.inventory_path.open("a", encoding="utf-8") as file:
        for table in tables:
            file.write(table)


def test_the_gonex_forms_answer_the_request_and_ask_the_rest_with_boxes(site_copy):
    inventory = site_copy.load().inventory
    assert inventory.form("demo").request_purposes == (SUPPORT,)
    assert inventory.form("job_application").request_purposes == ("employment.recruitment",)
    for form in ("demo", "interest", "contact"):
        subjects = {
            subject
            for field in inventory.form(form).consent_fields
            for subject in field.consent_subjects
        }
        assert {"sales", "share:group", "marketing.communications.email"} <= subjects, form
        assert not any(subject.startswith("abroad:") for subject in subjects)  # none abroad
        assert not any(field.checked for field in inventory.form(form).consent_fields)


def test_a_box_naming_an_undeclared_affiliate_is_refused_e028(site_copy):
    site_copy.edit_in(
        "forms.demo.fields.share_group",
        'consent_subject = "share:group"',
        'consent_subject = "share:partners"',
    )
    problem = only(site_copy.problems(), "E028")
    assert problem.entry == "forms.demo.fields.share_group"
    assert "share:partners" in problem.message and "share:group" in problem.fix
    assert problem.line == site_copy.line_of('consent_subject = "share:partners"')


def test_a_box_naming_an_undeclared_use_is_refused_e028(site_copy):
    site_copy.edit_in(
        "forms.contact.fields.sales_follow_up",
        'consent_subject = "sales"',
        'consent_subject = "salez"',
    )
    problems = site_copy.problems()
    problem = next(p for p in problems if p.entry == "forms.contact.fields.sales_follow_up")
    assert problem.code == "E028" and "'salez'" in problem.message


def test_a_box_of_an_unknown_kind_is_refused_e028(site_copy):
    site_copy.edit_in(
        "forms.interest.fields.share_group",
        'consent_subject = "share:group"',
        'consent_subject = "sell:group"',
    )
    problem = only(site_copy.problems(), "E028")
    assert problem.entry == "forms.interest.fields.share_group"
    assert '"abroad:<recipient>"' in problem.fix


def test_a_pre_ticked_consent_box_is_refused_p17_e024(site_copy):
    site_copy.edit_in(
        "forms.demo.fields.sales_follow_up", "consent = true", "consent = true\nchecked = true"
    )
    problem = only(site_copy.problems(), "E024")
    assert problem.entry == "forms.demo.fields.sales_follow_up"
    assert "ticked in advance" in problem.message and "remove `checked = true`" in problem.fix


def test_a_consent_subject_on_a_field_that_is_no_box_is_refused_e024(site_copy):
    site_copy.edit_in(
        "forms.contact.fields.subject",
        'widget = "text"',
        'widget = "text"\nconsent_subject = "sales"',
    )
    problem = only(site_copy.problems(), "E024")
    assert problem.entry == "forms.contact.fields.subject"


def test_an_abroad_box_for_a_recipient_at_home_is_refused_e028(site_copy):
    site_copy.edit_in(
        "forms.demo.fields.share_group",
        'consent_subject = "share:group"',
        'consent_subject = "abroad:group"',
    )
    problem = only(site_copy.problems(), "E028")
    assert "no transfer abroad" in problem.message
    assert "remove the box" in problem.fix


def test_an_abroad_box_for_a_recipient_abroad_is_accepted(site_copy):
    site_copy.edit_in("affiliates.group", 'opt_out_right = "', 'country = "HK"\nopt_out_right = "')
    site_copy.edit_in(
        "forms.demo.fields.share_group",
        'consent_subject = "share:group"',
        'consent_subject = "abroad:group"',
    )
    box = site_copy.load().inventory.form("demo").field("share_group")
    assert box.consent_subjects == ("abroad:group",)


def test_a_purpose_needing_consent_with_no_box_nor_request_is_refused_e029(site_copy):
    """Without the sales box, the contact form would collect for sales what no one agreed to."""
    text = site_copy.inventory_path.read_text(encoding="utf-8")
    start = text.index("[forms.contact.fields.sales_follow_up]")
    site_copy.inventory_path.write_text(
        text[:start] + text[text.index("\n[", start) + 1 :], encoding="utf-8"
    )
    problem = only(site_copy.problems(), "E029")
    assert problem.entry == "forms.contact.fields.company"  # the first field collected for sales
    assert "'sales'" in problem.message
    assert 'consent_subject = "sales"' in problem.fix


def test_request_purposes_must_be_the_forms_own_e028(site_copy):
    site_copy.edit('request_purposes = ["employment.recruitment"]', 'request_purposes = ["sales"]')
    problems = site_copy.problems()
    problem = next(p for p in problems if p.attribute == "request_purposes")
    assert problem.code == "E028" and problem.entry == "forms.job_application"
    assert "'sales'" in problem.message


def test_a_sensitive_category_without_its_own_box_is_refused_art29_e029(site_copy):
    add_tables(site_copy, HEALTH_CATEGORY, HEALTH_FIELD)
    problem = only(site_copy.problems(), "E029")
    assert problem.entry == "forms.contact.fields.accessibility"
    assert "sensitive personal information" in problem.message
    assert 'consent_subject = "sensitive:user.health_and_medical"' in problem.fix


def test_a_sensitive_category_with_its_own_box_is_accepted(site_copy):
    add_tables(site_copy, HEALTH_CATEGORY, HEALTH_FIELD, HEALTH_BOX)
    inventory = site_copy.load().inventory
    assert inventory.category("user.health_and_medical").sensitive
    assert inventory.form("contact").field("accessibility_consent").consent_subjects == (
        "sensitive:user.health_and_medical",
    )


def test_a_required_sensitive_field_is_refused_for_forcing_its_consent_e024(site_copy):
    add_tables(
        site_copy,
        HEALTH_CATEGORY,
        HEALTH_FIELD.replace("required = false", "required = true"),
        HEALTH_BOX,
    )
    problem = only(site_copy.problems(), "E024")
    assert problem.entry == "forms.contact.fields.accessibility"
    assert "set `required = false`" in problem.fix


def test_a_box_for_a_category_not_declared_sensitive_is_refused_e028(site_copy):
    add_tables(site_copy, HEALTH_BOX.replace("user.health_and_medical", "user.workplace"))
    problem = only(site_copy.problems(), "E028")
    assert problem.entry == "forms.contact.fields.accessibility_consent"
    assert "sensitive = true" in problem.message


# --- What the policy says, rendered from the same declarations ------------------------------


def policy_lines(site, language: str) -> list[str]:
    from pledge.inventory.diff import text_lines

    return text_lines(site.texts["privacy"][language])


def test_the_policy_names_what_sending_each_form_agrees_to_and_each_box(site_copy):
    site = site_copy.load()
    english = policy_lines(site, "en")
    demo = next(line for line in english if line.startswith("Sending this form is consent"))
    assert "answering your requests and communicating with you" in demo
    assert "sales follow-up; sharing with our affiliates" in demo
    assert "Refusing any of them never stops us answering your request." in demo
    chinese = policy_lines(site, "zh-hans")
    assert any(
        line.startswith("提交此表单仅表示您同意") and "销售跟进、与关联公司共享" in line
        for line in chinese
    )
    affiliate = next(line for line in english if line.startswith("We may share some or all"))
    assert "only if you agree with the separate box" in affiliate
    assert "without asking your specific consent" not in " ".join(english)


def test_the_policy_follows_a_changed_declaration(site_copy):
    """Another request purpose declared is another purpose the policy names for that form."""
    site_copy.edit(
        'request_purposes = ["employment.recruitment"]',
        'request_purposes = ["employment.recruitment", "essential.service.security"]',
    )
    site_copy.edit_in(
        "forms.job_application.fields.cv",
        'purposes = ["employment.recruitment"]',
        'purposes = ["employment.recruitment", "essential.service.security"]',
    )
    english = policy_lines(site_copy.load(), "en")
    assert any(
        line.startswith(
            "Sending this form is consent only to answering your request: "
            "processing job applications; keeping the site and your information secure."
        )
        for line in english
    )
