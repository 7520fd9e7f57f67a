"""SECURITY.md P6: move the clock past the period, run the purge, the expired rows are gone."""

import os
import time
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from pledge.intake.models import Feedback, FeedbackReplyAddress, GuardianPending
from pledge.intake.uploads import upload_directory
from pledge.mail.models import SubscriptionRequest

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture
def expired_and_fresh(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    past, future = timezone.now() - timedelta(seconds=1), timezone.now() + timedelta(days=3)
    orphan = upload_directory() / ("0" * 32 + ".bin")
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 2 * 86400,) * 2)
    held = upload_directory() / ("1" * 32 + ".bin")
    held.write_bytes(b"y")
    os.utime(held, (time.time() - 2 * 86400,) * 2)
    for expires, files in ((past, {"cv": {"stored_name": held.name}}), (future, {})):
        GuardianPending.objects.create(
            form="job_application",
            payload={"answers": {}, "files": files},
            guardian_email="p@example.cn",
            language="en",
            token_hash=str(expires),
            expires_at=expires,
        )
        feedback = Feedback.objects.create(answers={}, language="en")
        FeedbackReplyAddress.objects.create(
            feedback=feedback, email="r@example.cn", delete_after=expires
        )
        SubscriptionRequest.objects.create(
            email="n@example.cn",
            lists=["newsletter"],
            language="en",
            consent_text="t",
            token_hash=str(expires) + "s",
            expires_at=expires,
        )
    return orphan, held


def test_purge_is_a_dry_run_unless_told(expired_and_fresh):
    output = StringIO()
    call_command("purge", stdout=output)
    assert "would delete 1: Minors' forms no guardian confirmed (intake.guardian_pending)" in (
        output.getvalue()
    )
    assert GuardianPending.objects.count() == 2


def test_purge_deletes_exactly_what_expired_p6(expired_and_fresh):
    orphan, held = expired_and_fresh
    call_command("purge", "--yes", stdout=StringIO())
    assert GuardianPending.objects.count() == 1
    assert FeedbackReplyAddress.objects.count() == 1
    assert Feedback.objects.count() == 2  # the feedback itself stays; only the address goes
    assert SubscriptionRequest.objects.count() == 1
    assert not orphan.exists()
    assert not held.exists()  # the expired minor's CV went with it
