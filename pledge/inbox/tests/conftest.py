"""A real IMAP server (Debian's dovecot) on a free loopback port, and messages to give it.

The server runs from a throwaway configuration and maildir, as the current user (no root
needed); when the tests themselves run as root, dovecot refuses to log in users as root, so
its login and mail processes run as the system's unprivileged users instead. Stopped by its PID
at teardown. Skipped with a reason where dovecot is not installed (.ci/run installs it).
"""

import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest

DOVECOT = Path("/usr/sbin/dovecot")
USERNAME = "pledge"
PASSWORD = "a throwaway pass"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
                if connection.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"dovecot did not answer on port {port}")


def identities() -> dict:
    """Who dovecot's processes run as: the current user, or unprivileged ones under root."""
    if os.geteuid() != 0:
        user = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid())
        return {
            "internal": user.pw_name,
            "internal_group": group.gr_name,
            "login": user.pw_name,
            "uid": user.pw_uid,
            "gid": user.pw_gid,
        }
    nobody = pwd.getpwnam("nobody")
    internal = "dovecot" if _exists("dovecot") else "nobody"
    return {
        "internal": internal,
        "internal_group": grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name,
        "login": "dovenull" if _exists("dovenull") else "nobody",
        "uid": nobody.pw_uid,
        "gid": nobody.pw_gid,
    }


def _exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


CONFIG = """
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
protocols = imap
listen = 127.0.0.1
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:{root}/mail/%u
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service auth {{
  unix_listener auth-userdb {{
    mode = 0666
  }}
}}
"""


@pytest.fixture
def dovecot(tmp_path):
    """A running IMAP server: yields its imap:// URL (the mailbox's INBOX)."""
    if not DOVECOT.exists():
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    who = identities()
    if os.geteuid() == 0:  # the unprivileged processes must reach their files
        root = Path(tempfile.mkdtemp(prefix="pledge-dovecot-"))
        root.chmod(0o755)
    else:
        root = tmp_path / "dovecot"
        root.mkdir()
    for name in ("run", "state", "mail", "home"):
        (root / name).mkdir()
    if os.geteuid() == 0:
        for name in ("mail", "home"):
            os.chown(root / name, who["uid"], who["gid"])
    port = free_port()
    (root / "passwd").write_text(f"{USERNAME}:{{PLAIN}}{PASSWORD}\n")
    (root / "dovecot.conf").write_text(CONFIG.format(root=root, port=port, **who))
    subprocess.run([str(DOVECOT), "-c", str(root / "dovecot.conf")], check=True)
    try:
        wait_for_port(port)
        yield f"imap://{USERNAME}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{port}/INBOX"
    finally:
        pid_file = root / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip())
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if os.geteuid() == 0:
            shutil.rmtree(root, ignore_errors=True)


# What our receiving server writes when the sender's domain passed DMARC (RFC 8601).
def authenticated(domain: str) -> dict:
    return {
        "Authentication-Results": f"mx.letsgonex.com; spf=pass smtp.mailfrom={domain};"
        f" dkim=pass header.d={domain}; dmarc=pass header.from={domain}"
    }


def mail(
    *,
    sender: str = "li.lei@example.cn",
    to: str = "service@letsgonex.com",
    subject: str = "",
    body: str = "",
    message_id: str | None = None,
    headers: dict | None = None,
) -> bytes:
    """An ordinary email, as a mail client writes it."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = message_id or make_msgid(domain="example.cn")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return bytes(message)


def dsn(
    *,
    recipient: str,
    status: str,
    original_id: str = "<orig@letsgonex.com>",
    sender: str = "Mail Delivery System <MAILER-DAEMON@mx.example.cn>",
) -> bytes:
    """A delivery status notification as RFC 3464 lays it out (multipart/report)."""
    action = "failed" if status.startswith("5") else "delayed"
    boundary = "dsn-boundary-1"
    return (
        f"From: {sender}\r\n"
        "To: service@letsgonex.com\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: {make_msgid(domain='mx.example.cn')}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.example.cn. Your message could not be delivered.\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.example.cn\r\n"
        "Arrival-Date: Mon, 1 Jun 2026 10:00:00 +0800\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; mail.example.cn\r\n"
        f"Diagnostic-Code: smtp; {status[0]}50 {status} mailbox problem\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: Gonex <service@letsgonex.com>\r\n"
        f"To: {recipient}\r\n"
        "Subject: News\r\n"
        f"Message-ID: {original_id}\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def arf(
    *,
    recipient: str,
    original_id: str = "<orig@letsgonex.com>",
    sender: str = "abuse@feedback.example.cn",
) -> bytes:
    """An abuse feedback report (ARF, RFC 5965) from a mailbox provider."""
    boundary = "arf-boundary-1"
    return (
        f"From: {sender}\r\n"
        "To: service@letsgonex.com\r\n"
        "Subject: FW: News\r\n"
        f"Message-ID: {make_msgid(domain='feedback.example.cn')}\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=feedback-report; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is an email abuse report for an email message received from IP 203.0.113.1\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: abuse\r\n"
        "User-Agent: SomeGenerator/1.0\r\n"
        "Version: 1\r\n"
        "Original-Mail-From: <service@letsgonex.com>\r\n"
        f"Original-Rcpt-To: <{recipient}>\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/rfc822\r\n\r\n"
        "From: Gonex <service@letsgonex.com>\r\n"
        f"To: {recipient}\r\n"
        "Subject: News\r\n"
        f"Message-ID: {original_id}\r\n"
        "\r\n"
        "The newsletter.\r\n"
        f"--{boundary}--\r\n"
    ).encode()
