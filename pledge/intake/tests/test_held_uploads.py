"""A form that fails validation keeps the CV it was sent, encrypted, for an hour (issue 16).

The page shown again says "cv.pdf attached", with a file input to replace it and a box to
remove it; the next post attaches the held file to its submission; an hour later, unused, the
purge deletes it. The error summary at the top links each field in error and takes the focus.
"""

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from pledge.intake.defence import SUM_FIELD, SUM_TOKEN_FIELD, sum_issue
from pledge.intake.models import GuardianPending, PendingUpload, StoredFile, Submission
from pledge.intake.uploads import HOLD_SECONDS, upload_directory, upload_read
from pledge.inventory.services import policy_publish
from pledge.people.retention import retention_purge
from pledge.vault.actors import Actor

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
APPLICATION = {
    "name": "Li Lei",
    "email": "li.lei@example.cn",
    "phone": "13800138000",
    "position": "engineer",
    "age_band": "18_and_over",
}
TOKEN = re.compile(r'name="cv__held" value="([^"]+)"')


@pytest.fixture(autouse=True)
def setup(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    policy_publish(summary={"en": "First version"}, material=True, published_by="test")


def human() -> dict:
    question = sum_issue()
    return {SUM_TOKEN_FIELD: question.token, SUM_FIELD: str(question.left + question.right)}


def apply(client, path="/en/careers/apply/", **changes):
    return client.post(path, {**APPLICATION, **human(), **changes})


def cv(name="li-lei.pdf", marker=b"first"):
    return SimpleUploadedFile(name, PDF + marker)


def held_token(response) -> str:
    return TOKEN.search(response.content.decode()).group(1)


def test_a_wrong_field_keeps_the_cv_encrypted_and_says_it_is_attached(client):
    response = apply(client, email="not an address", cv=cv())
    assert response.status_code == 400
    page = response.content.decode()
    assert "li-lei.pdf" in page and "attached" in page
    assert "Replace it with another file" in page and 'name="cv__remove"' in page
    assert not Submission.objects.exists()
    pending = PendingUpload.objects.get()
    assert pending.form == "job_application" and pending.field == "cv"
    assert pending.original_name == "li-lei.pdf"
    assert held_token(response) not in pending.token_hash  # only the token's hash is kept
    on_disk = (upload_directory() / pending.stored_name).read_bytes()
    assert b"first" not in on_disk and upload_read(pending.stored_name) == PDF + b"first"
    expires_in = (pending.expires_at - timezone.now()).total_seconds()
    assert HOLD_SECONDS - 60 < expires_in <= HOLD_SECONDS


def test_the_corrected_post_attaches_the_held_cv_to_the_submission(
    client, django_capture_on_commit_callbacks
):
    token = held_token(apply(client, email="wrong", cv=cv()))
    stored_name = PendingUpload.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, cv__held=token)
    assert response.status_code == 200, response.content.decode()[:2000]
    stored = StoredFile.objects.get()
    assert stored.submission == Submission.objects.get()
    assert (stored.stored_name, stored.original_name) == (stored_name, "li-lei.pdf")
    assert upload_read(stored.stored_name) == PDF + b"first"
    assert not PendingUpload.objects.exists()


def test_a_new_file_replaces_the_held_one_which_is_deleted(
    client, django_capture_on_commit_callbacks
):
    token = held_token(apply(client, email="wrong", cv=cv()))
    first = PendingUpload.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        apply(client, cv__held=token, cv=cv("new.pdf", b"second"))
    stored = StoredFile.objects.get()
    assert stored.original_name == "new.pdf" and upload_read(stored.stored_name).endswith(b"second")
    assert not (upload_directory() / first).exists()
    assert not PendingUpload.objects.exists()


def test_a_new_file_sent_with_another_mistake_replaces_the_held_one(
    client, django_capture_on_commit_callbacks
):
    token = held_token(apply(client, email="wrong", cv=cv()))
    first = PendingUpload.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, email="still wrong", cv__held=token, cv=cv("new.pdf"))
    assert "new.pdf" in response.content.decode() and held_token(response) != token
    assert PendingUpload.objects.get().original_name == "new.pdf"
    assert not (upload_directory() / first).exists()


def test_removing_the_held_cv_asks_for_one_again(client, django_capture_on_commit_callbacks):
    token = held_token(apply(client, email="wrong", cv=cv()))
    first = PendingUpload.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(client, cv__held=token, cv__remove="1")
    assert response.status_code == 400
    page = response.content.decode()
    assert "attached" not in page and "This field is required" in page
    assert not PendingUpload.objects.exists() and not Submission.objects.exists()
    assert not (upload_directory() / first).exists()


def test_a_refused_upload_is_not_held_and_a_held_one_stays(client):
    token = held_token(apply(client, email="wrong", cv=cv()))
    response = apply(client, cv__held=token, cv=SimpleUploadedFile("cv.pdf", b"MZ not a pdf"))
    page = response.content.decode()
    assert "is not a .pdf file" in page
    assert "li-lei.pdf" in page and held_token(response) == token
    assert PendingUpload.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    ["", "made-up", "x" * 500],
)
def test_an_unknown_token_holds_nothing(client, token):
    response = apply(client, cv__held=token)
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    assert not Submission.objects.exists()


def test_a_token_opens_only_its_own_form_and_field_and_only_for_an_hour(client, time_machine):
    token = held_token(apply(client, email="wrong", cv=cv()))
    PendingUpload.objects.update(form="contact")
    assert apply(client, cv__held=token).status_code == 400
    PendingUpload.objects.update(form="job_application")
    time_machine.move_to(timezone.now() + timedelta(seconds=HOLD_SECONDS + 1))
    assert apply(client, cv__held=token).status_code == 400
    assert not Submission.objects.exists()


def test_a_refused_post_keeps_showing_the_held_cv(client):
    token = held_token(apply(client, email="wrong", cv=cv()))
    response = client.post("/en/careers/apply/", {**APPLICATION, "cv__held": token})  # no sum
    assert response.status_code == 429
    assert "li-lei.pdf" in response.content.decode() and held_token(response) == token


def test_a_refused_post_holds_no_file(client):
    response = client.post("/en/careers/apply/", {**APPLICATION, "email": "x", "cv": cv()})
    assert response.status_code == 429  # not screened in: not validated, nothing held
    assert not PendingUpload.objects.exists()


def test_a_minor_s_application_takes_the_held_cv_to_the_guardian(
    client, django_capture_on_commit_callbacks
):
    token = held_token(apply(client, email="wrong", cv=cv()))
    stored_name = PendingUpload.objects.get().stored_name
    with django_capture_on_commit_callbacks(execute=True):
        response = apply(
            client, cv__held=token, age_band="under_13", guardian_email="parent@example.cn"
        )
    assert response.status_code == 200
    files = GuardianPending.objects.get().payload["files"]
    assert files["cv"]["stored_name"] == stored_name and files["cv"]["name"] == "li-lei.pdf"
    assert not PendingUpload.objects.exists()
    assert (upload_directory() / stored_name).exists()


def test_the_purge_deletes_a_held_file_after_its_hour(
    client, time_machine, django_capture_on_commit_callbacks
):
    apply(client, email="wrong", cv=cv())
    stored_name = PendingUpload.objects.get().stored_name
    purge = {"actor": Actor.system("purge"), "dry_run": False, "only": "intake.pending_uploads"}
    with django_capture_on_commit_callbacks(execute=True):
        retention_purge(**purge)
    assert PendingUpload.objects.exists()  # within its hour
    time_machine.move_to(timezone.now() + timedelta(seconds=HOLD_SECONDS + 15 * 60))
    with django_capture_on_commit_callbacks(execute=True):
        retention_purge(**purge)
    assert not PendingUpload.objects.exists()
    assert not (upload_directory() / stored_name).exists()


# --- The error summary ---------------------------------------------------------------------


def test_the_error_summary_comes_first_takes_the_focus_and_links_each_field(client):
    response = apply(client, email="wrong", phone="", cv=cv())
    page = response.content.decode()
    summary = re.search(r'<div class="alert alert-error error-summary"[^>]*>.*?</div>', page, re.S)
    assert summary, page[:3000]
    opening = summary.group(0).split(">", 1)[0]
    assert 'tabindex="-1"' in opening and "autofocus" in opening and 'role="alert"' in opening
    assert page.index("error-summary") < page.index('<form method="post" class="form"')
    links = re.findall(r'<a href="#(id_[a-z_0-9]+)">([^<]+)</a>', summary.group(0))
    assert [target for target, _ in links] == ["id_email", "id_phone"]
    assert links[0][1].startswith("Email address: ")
    assert 'id="id_email"' in page and 'id="id_phone"' in page


def test_the_summary_and_the_held_file_read_in_chinese(client):
    response = apply(client, "/careers/apply/", email="wrong", cv=cv("简历.pdf"))
    page = response.content.decode()
    assert "简历.pdf" in page and "已附上" in page
    summary = re.search(r'class="alert alert-error error-summary".*?</div>', page, re.S).group(0)
    assert "电子邮件地址：" in summary
    assert not re.search(r"[\u4e00-\u9fff][,:;()]|[,:;()][\u4e00-\u9fff]", summary)


def test_the_form_page_script_focuses_the_summary_and_is_a_static_file(client):
    page = apply(client, email="wrong", cv=cv()).content.decode()
    assert "<script>" not in page and 'src="/static/web/js/forms.js"' in page
