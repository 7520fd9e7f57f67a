"""INBOUND_URL: a malformed address, or clear-text IMAP in production, stops start-up with
the fix (CONFIG_ERRORS, reported by `pledge check`)."""

from pledge.tests.test_configuration import PRODUCTION, run_pledge


def test_a_malformed_mailbox_address_is_named_with_the_fix(tmp_path):
    result = run_pledge("check", INBOUND_URL="pop3://nowhere", PLEDGE_VAR=str(tmp_path))
    assert result.returncode != 0
    assert "INBOUND_URL is not a mailbox address" in result.stderr


def test_production_reads_the_mailbox_only_over_tls(tmp_path):
    result = run_pledge(
        "check",
        **PRODUCTION,
        INBOUND_URL="imap://service:secret@imap.example.cn/INBOX",
        PLEDGE_VAR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "INBOUND_URL must use imaps:// in production" in result.stderr
    assert (
        "INBOUND_URL"
        not in run_pledge(
            "check",
            **PRODUCTION,
            INBOUND_URL="imaps://service:secret@imap.example.cn/INBOX",
            PLEDGE_VAR=str(tmp_path),
        ).stderr
    )
