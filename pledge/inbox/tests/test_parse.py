"""Reading mail as it arrives: Chinese charsets in headers (RFC 2047) and bodies, unknown
charsets, replies with their quotes."""

import base64

import pytest

from pledge.inbox.parse import message_parse

TEXT = {
    "gb2312": "退订：请不要再发新闻简报",
    "gbk": "取消订阅，謝謝",  # 謝 is in GBK, not in GB2312
    "gb18030": "投诉㐀内容",  # 㐀 (U+3400) needs GB18030's four-byte codes
}


def encoded(charset: str, text: str) -> bytes:
    subject = base64.b64encode(text.encode(charset)).decode()
    body = base64.b64encode(f"{text}\n第二行".encode(charset)).decode()
    return (
        f"From: =?{charset}?B?{base64.b64encode('李雷'.encode(charset)).decode()}?= "
        "<li.lei@example.cn>\r\n"
        f"Subject: =?{charset}?B?{subject}?=\r\n"
        "Message-ID: <cn@example.cn>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/plain; charset={charset}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n"
        f"{body}\r\n"
    ).encode()


@pytest.mark.parametrize("charset", TEXT)
def test_chinese_charsets_decode_in_the_subject_and_the_body(charset):
    text = TEXT[charset]
    parsed = message_parse(encoded(charset, text))
    assert parsed.subject == text
    assert parsed.text == f"{text}\n第二行"
    assert parsed.sender == "li.lei@example.cn"
    assert parsed.language == "zh-hans"


def test_gbk_text_labelled_gb2312_still_decodes():
    text = "謝謝，退订"
    raw = (
        "From: li.lei@example.cn\r\nSubject: =?gb2312?B?"
        + base64.b64encode(text.encode("gbk")).decode()
        + "?=\r\nContent-Type: text/plain; charset=gb2312\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode() + text.encode("gbk")
    parsed = message_parse(raw)
    assert parsed.subject == text and parsed.text == text


def test_an_unknown_charset_is_read_as_well_as_it_can_be():
    raw = (
        b"From: a@example.cn\r\nSubject: =?x-martian?Q?hello?=\r\n"
        b"Content-Type: text/plain; charset=x-martian\r\n\r\nunsubscribe\r\n"
    )
    parsed = message_parse(raw)
    assert parsed.text == "unsubscribe"
    assert "hello" in parsed.subject


def test_quotes_of_earlier_mail_are_stripped_in_english_and_chinese():
    english = message_parse(
        b"From: a@example.com\r\nSubject: Re: News\r\n\r\nPlease unsubscribe me.\r\n\r\n"
        b"On Mon, Jun 1, 2026 at 10:00 AM Gonex <service@letsgonex.com> wrote:\r\n"
        b"> Complaint? Write to us.\r\n"
    )
    assert english.text == "Please unsubscribe me."
    chinese = message_parse(
        "From: a@example.cn\r\nSubject: Re: 新闻\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "\r\n好的，谢谢。\r\n\r\n------------------ 原始邮件 ------------------\r\n"
        "发件人: service@letsgonex.com\r\n投诉请回复。\r\n".encode()
    )
    assert chinese.text == "好的，谢谢。"


def test_an_html_only_message_is_read_as_text_and_never_rendered():
    parsed = message_parse(
        b"From: a@example.cn\r\nSubject: hi\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<html><head><script>alert(1)</script></head><body><p>Unsubscribe</p>"
        b"<img src=https://tracker.example/x.gif></body></html>"
    )
    assert parsed.text == "Unsubscribe"
