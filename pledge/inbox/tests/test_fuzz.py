"""SECURITY.md I5: whatever bytes arrive at the service mailbox, reading them never crashes,
and storing them keeps the message (hypothesis draws the messages)."""

import base64

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pledge.inbox.classify import message_classify
from pledge.inbox.models import InboundMessage
from pledge.inbox.parse import content_digest, message_parse
from pledge.inbox.services import inbound_receive

HEADERS = [
    b"From",
    b"To",
    b"Subject",
    b"Message-ID",
    b"In-Reply-To",
    b"References",
    b"Content-Type",
    b"Content-Transfer-Encoding",
    b"Auto-Submitted",
    b"Authentication-Results",
    b"Precedence",
]
VALUES = st.one_of(
    st.binary(max_size=80),
    st.sampled_from(
        [
            b"multipart/report; report-type=delivery-status; boundary=x",
            b"multipart/mixed; boundary=",
            b'text/plain; charset="gb2312"',
            b"text/plain; charset=x-unknown",
            b"=?gb18030?B?zcu2qQ==?=",
            b"=?utf-8?Q?=E9=80=80=E8=AE=A2?=",
            b"base64",
            b"quoted-printable",
            b"<c.00000000000000000000000000000000.r.1.0000000000000000@x>",
            b"<k.00000000000000000000000000000000.000000000000.0000000000000000@x>",
            b"mx.example; dmarc=pass header.from=example.cn",
            b"\xff\xfe\x00",
        ]
    ),
)
HEADER_LINES = st.lists(
    st.tuples(st.sampled_from(HEADERS), VALUES).map(lambda pair: pair[0] + b": " + pair[1]),
    max_size=12,
)
BODIES = st.one_of(
    st.binary(max_size=400),
    st.sampled_from(
        [
            b"--x\r\nContent-Type: message/delivery-status\r\n\r\nFinal-Recipient: rfc822;\r\n",
            b"--x\r\n\r\n--x--",
            base64.b64encode("退订".encode("gb18030")),
            "请勿联系我们公司".encode("gbk"),
        ]
    ),
)
MESSAGES = st.tuples(HEADER_LINES, BODIES).map(
    lambda parts: b"\r\n".join(parts[0]) + b"\r\n\r\n" + parts[1]
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(raw=st.one_of(MESSAGES, st.binary(max_size=600)))
def test_reading_any_bytes_never_raises_i5(raw):
    parsed = message_parse(raw)
    message_classify(parsed)


@pytest.mark.django_db
@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=MESSAGES)
def test_receiving_any_message_keeps_it_whole_i5(raw):
    """Every byte, or, when the examples drawn so far hold a copy of the same message that
    differs only in the headers servers add on the way (the same message relayed twice), that
    copy: never anything else."""
    message = inbound_receive(raw, source="smtp")
    stored = InboundMessage.objects.get(pk=message.pk)
    assert stored.raw_bytes == raw or content_digest(stored.raw_bytes) == content_digest(raw)
