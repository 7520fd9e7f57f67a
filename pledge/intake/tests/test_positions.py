"""The open positions are declared once, as the job application's position choices (issue 16):
the careers page lists them with their descriptions, the application picks one of them, and
a position no longer open is refused with a sentence saying so."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.forms import form_class, positions_open
from pledge.intake.models import Submission
from pledge.inventory.services import policy_publish

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    policy_publish(summary={"en": "First version"}, material=True, published_by="test")


def human() -> dict:
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


def apply(client, position, path="/en/careers/apply/"):
    data = {
        "name": "Li Lei",
        "email": "li.lei@example.cn",
        "phone": "13800138000",
        "age_band": "18_and_over",
        "cv": SimpleUploadedFile("cv.pdf", PDF),
        **({"position": position} if position is not None else {}),
    }
    return client.post(path, {**data, **human()})


def test_the_positions_are_the_application_s_choices():
    values = [choice.value for choice in positions_open()]
    assert values == ["engineer", "solutions_consultant", "support_engineer"]
    field = form_class("job_application").base_fields["position"]
    assert [value for value, _label in field.choices] == ["", *values]
    assert field.required


@pytest.mark.parametrize(
    ("prefix", "label", "description", "apply"),
    [
        (
            "/en",
            "Software engineer",
            "Builds web applications in Python",
            "Apply for Software engineer",
        ),
        ("", "软件工程师", "用 Python 开发 Web 应用", "申请软件工程师"),
    ],
)
def test_the_careers_page_lists_each_position_with_its_description(
    client, prefix, label, description, apply
):
    page = client.get(f"{prefix}/careers/").content.decode()
    assert f"<h2>{label}</h2>" in page and description in page
    assert f'href="{prefix}/careers/apply/?position=engineer">{apply}</a>' in page
    assert page.count("?position=") == len(positions_open())


def test_the_application_picks_a_position_from_a_list_with_nothing_picked(client):
    page = client.get("/en/careers/apply/").content.decode()
    select = re.search(r'<select name="position".*?</select>', page, re.S).group(0)
    assert "Solutions consultant" in select
    assert re.findall(r'<option value="([^"]*)" selected>', select) == [""]  # "Choose…" only


def test_a_link_from_the_careers_page_picks_its_position(client):
    page = client.get("/en/careers/apply/?position=support_engineer").content.decode()
    assert '<option value="support_engineer" selected>' in page
    page = client.get("/en/careers/apply/?position=astronaut").content.decode()
    assert re.findall(r'<option value="([^"]*)" selected>', page) == [""]


def test_an_application_names_an_open_position(client):
    assert apply(client, "solutions_consultant").status_code == 200
    assert Submission.objects.get().answers["position"] == "solutions_consultant"


@pytest.mark.parametrize(
    ("prefix", "message"),
    [
        ("/en", "This position is no longer open. Choose one of the open positions listed."),
        ("", "该职位已不再招聘。请从列出的开放职位中选择一个。"),
    ],
)
def test_a_position_no_longer_open_is_refused_with_a_clear_message(client, prefix, message):
    response = apply(client, "astronaut", path=f"{prefix}/careers/apply/")
    assert response.status_code == 400
    page = response.content.decode()
    assert message in page and "astronaut" not in page
    assert not Submission.objects.exists()


def test_no_position_is_refused(client):
    response = apply(client, None)
    assert response.status_code == 400 and "This field is required" in response.content.decode()
