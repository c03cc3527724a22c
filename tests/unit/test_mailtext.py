"""Reading inbound e-mail (server/notify/mailtext.py): bodies, quotes, headers, photos."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from server.notify.mailtext import (
    bare_subject,
    html_to_text,
    read_message,
    strip_quoted,
)
from tests.support.images import png


def raw(
    body: str | None = "楼道灯不亮",
    *,
    sender: str = "张三 <Zhang.San@Example.org>",
    subject: str = "报修",
    html: str | None = None,
    **headers: str,
) -> bytes:
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "cases@linli.example"
    m["Subject"] = subject
    m["Message-ID"] = "<abc@example.org>"
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    if body is not None:
        m.set_content(body)
        if html is not None:
            m.add_alternative(html, subtype="html")
    elif html is not None:
        m.set_content(html, subtype="html")
    return m.as_bytes()


def test_plain_text() -> None:
    message = read_message(raw("三号楼楼道灯不亮。\n晚上很黑。\n"))
    assert message is not None
    assert message.sender == "zhang.san@example.org"  # one spelling of an address
    assert message.subject == "报修" and message.text == "三号楼楼道灯不亮。\n晚上很黑。"
    assert message.message_id == "<abc@example.org>" and message.photos == ()


def test_plain_is_preferred_to_its_html_alternative() -> None:
    message = read_message(raw("纯文本", html="<p>网页</p>"))
    assert message is not None and message.text == "纯文本"


def test_html_only() -> None:
    html = (
        "<html><head><title>t</title><style>p {color: red}</style></head><body>"
        "<div>小区东门&nbsp;井盖丢了<br>请尽快处理</div><p>谢谢 &amp; 辛苦</p>"
        "<script>alert(1)</script>"
        '<div class="gmail_quote">On Tue … wrote:<blockquote>旧邮件<p>x</p></blockquote></div>'
        "</body></html>"
    )
    message = read_message(raw(None, html=html))
    assert message is not None
    assert message.text == "小区东门 井盖丢了\n请尽快处理\n\n谢谢 & 辛苦"


def test_html_to_text_keeps_text_after_a_quote() -> None:
    assert html_to_text("<blockquote>旧<br>的</blockquote><p>新的</p>") == "新的"


@pytest.mark.parametrize(
    "reply",
    [
        "2\n\nOn Thu, 3 Dec 2026 at 10:00, 邻里 Linli <noreply@linli.example> wrote:\n> 您的诉求",
        "2\n\nOn Thu, 3 Dec 2026 at 10:00, 邻里 Linli <noreply@linli.example>\nwrote:\n> 您的诉求",
        "2\n在 2026年12月3日 10:00，邻里 Linli 写道：\n> 您的诉求已办结",
        "2\n\n-----Original Message-----\nFrom: 邻里\nSubject: 您的诉求已办结",
        "2\n\n------------------ 原始邮件 ------------------\n发件人: 邻里",
        "2\n________________________________\n发件人: 邻里 Linli\n主题: 您的诉求已办结",
        "2\n\n发自我的iPhone",
        "2\n-- \n张三 13812345678",
        "> 您的诉求已办结\n2",  # answered below the quote
    ],
)
def test_quoted_replies_and_signatures_are_left_out(reply: str) -> None:
    assert strip_quoted(reply) == "2"


def test_words_that_only_look_like_quote_headers_stay() -> None:
    text = "From 3号楼 to 5号楼 the lights are off.\nOnly on weekdays."
    assert strip_quoted(text) == text


def test_encoded_headers() -> None:
    """RFC 2047 encoded words, as mail programs in China send them (GB2312, quoted-printable)."""
    message = read_message(
        b"From: =?utf-8?b?5byg5LiJ?= <zs@example.org>\r\n"
        b"Subject: =?gb2312?b?wqW1wLXGu7XByw==?= =?utf-8?q?=E4=B8=89=E5=8F=B7=E6=A5=BC?=\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        b"5qW86YGT54Gv5Z2P5LqG\r\n"
    )
    assert message is not None and message.sender == "zs@example.org"
    assert message.subject == "楼道灯坏了三号楼" and message.text == "楼道灯坏了"


def test_a_gbk_body() -> None:
    m = EmailMessage()
    m["From"] = "zs@example.org"
    m["Subject"] = "报修"
    m.set_content("楼道灯不亮".encode("gbk"), maintype="text", subtype="plain")
    m.replace_header("Content-Type", 'text/plain; charset="gbk"')
    message = read_message(m.as_bytes())
    assert message is not None and message.text == "楼道灯不亮"


def test_reply_prefixes() -> None:
    assert bare_subject("Re: 回复：RE：Fwd: 查询 2026-000123") == "查询 2026-000123"
    assert bare_subject("Regarding the lamp") == "Regarding the lamp"


def test_photos_by_their_bytes() -> None:
    m = EmailMessage()
    m["From"] = "zs@example.org"
    m["Subject"] = "照片"
    m.set_content("见附件")
    photo = png()
    m.add_attachment(photo, maintype="image", subtype="png", filename="a.png")
    m.add_attachment(b"not an image", maintype="image", subtype="jpeg", filename="b.jpg")
    m.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="c.pdf")
    message = read_message(m.as_bytes())
    assert message is not None and message.photos == (photo,) and message.text == "见附件"


@pytest.mark.parametrize(
    ("envelope_sender", "headers"),
    [
        ("<>", {}),  # a bounce
        ("", {}),
        ("zs@example.org", {"Auto_Submitted": "auto-replied"}),
        ("zs@example.org", {"Precedence": "bulk"}),
        ("zs@example.org", {"List_Id": "<residents.example.org>"}),
    ],
)
def test_automatic_mail_is_not_answered(envelope_sender: str, headers: dict[str, str]) -> None:
    assert read_message(raw(**headers), envelope_sender=envelope_sender) is None


def test_auto_submitted_no_is_a_person() -> None:
    assert read_message(raw(Auto_Submitted="no"), envelope_sender="zs@example.org") is not None


@pytest.mark.parametrize("sender", ["", "not an address", "a@b.c, d@e.f", "<@>"])
def test_no_one_sender_no_message(sender: str) -> None:
    assert read_message(raw(sender=sender)) is None
