"""SECURITY.md I1: whatever a browser or a script posts to any form, never a server error."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.inventory.loader import current_inventory

FORMS = {
    "demo": "/demo/",
    "interest": "/interest/",
    "contact": "/contact/",
    "feedback": "/en/feedback/",
    "job_application": "/careers/apply/",
    "newsletter": "/en/newsletter/",
    "account": "/account/register/",
}

values = st.one_of(
    st.text(max_size=300),
    st.lists(st.text(max_size=40), max_size=4),
    st.sampled_from(
        ["", "on", "true", "online", "18_and_over", "under_13", "newsletter", "a@b.cn"]
    ),
)


@pytest.mark.django_db
@pytest.mark.parametrize("form_key", FORMS)
def test_no_post_makes_a_form_fail_i1(form_key, client, settings, tmp_path):
    settings.PLEDGE_FORM_LIMIT_PER_IP = settings.PLEDGE_FORM_LIMIT_PER_EMAIL = 10_000
    settings.MEDIA_ROOT = tmp_path
    names = [*current_inventory().form(form_key).fields, "guardian_email", "is_staff", "x"]

    @hypothesis_settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        answers=st.dictionaries(st.sampled_from(names), values, max_size=len(names)),
        with_sum=st.booleans(),
        upload=st.binary(max_size=2000),
    )
    def post_anything(answers, with_sum, upload):
        data = {key: value for key, value in answers.items()}
        if with_sum:
            question = sum_issue()
            data.update(
                {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}
            )
        if form_key == "job_application":
            data["cv"] = SimpleUploadedFile("cv.pdf", upload)
        response = client.post(FORMS[form_key], data)
        assert response.status_code in {200, 400, 429}, response.status_code

    post_anything()
