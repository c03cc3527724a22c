"""Cases by e-mail, with real SMTP peers on loopback.

Out: the e-mail channel hands the outbox's e-mail rows to an aiosmtpd relay
(:class:`~tests.support.smtp_relay.SmtpRelay`), which parses what it gets. In: the
standard library's ``smtplib`` sends to Linli's own receiver (``linli mail-in``'s
:func:`~server.notify.mailin.serve_mail_in`). A database of this module's own: the
tests drain the whole outbox.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import smtplib
import sys
from collections.abc import AsyncIterator, Iterator
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import select

from server.cases import inbound
from server.cases.models import Case
from server.cases.services import CaseService
from server.grids.models import Grid
from server.media.models import Media
from server.notify.channels.base import (
    EmailTarget,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from server.notify.channels.email import SmtpEmail
from server.notify.dispatcher import Dispatcher
from server.notify.mailin import MAX_MESSAGE_BYTES, serve_mail_in
from server.notify.models import Notification, OutboxStatus
from server.notify.outbox import Contact, Recipient, enqueue
from server.notify.setup import make_dispatcher
from tests.conftest import (
    DENGYUE_CLERK,
    DENGYUE_GRID_WORKER,
    Backend,
    Tokens,
    open_client,
    own_backend,
)
from tests.integration.test_cases import act, grids_of, report, user_id
from tests.support.images import png
from tests.support.smtp_relay import SmtpRelay, free_port

ROOT = Path(__file__).resolve().parents[2]
INTAKE = "cases@linli.example"
SENDER = "noreply@linli.example"


@pytest.fixture(scope="module", params=["spatialite", "postgis"])
async def own(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Backend]:
    async with own_backend(request, tmp_path_factory, "email") as b:
        yield b


@pytest.fixture(scope="module")
async def own_app(own: Backend) -> Litestar:
    from server.app import create_app

    grid = (await grids_of(own))[1]
    return create_app(
        dataclasses.replace(own.settings, case_email_grid=grid, mail_in_address=INTAKE)
    )


@pytest.fixture
async def api(own_app: Litestar, own: Backend) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with open_client(own_app, own) as c:
        yield c


@pytest.fixture
def email_grid(own: Backend, own_app: Litestar) -> Iterator[None]:
    """create_app configured the intake grid; put it back for other modules' apps."""
    grid = own_app.state.settings.case_email_grid
    inbound.configure(None, grid)
    yield
    inbound.configure(None)


@pytest.fixture
async def relay() -> AsyncIterator[SmtpRelay]:
    r = SmtpRelay()
    await r.start()
    yield r
    await r.stop()


def channel_to(relay: SmtpRelay) -> SmtpEmail:
    return SmtpEmail("127.0.0.1", relay.port, sender=SENDER, tls="none", reply_to=INTAKE)


def dispatcher(own: Backend, relay: SmtpRelay) -> Dispatcher:
    return Dispatcher(own.sessionmaker(), {"email": channel_to(relay)})


@pytest.fixture
async def receiver(own: Backend, email_grid: None) -> AsyncIterator[int]:
    port = free_port()
    server = await serve_mail_in(own.sessionmaker(), address=INTAKE, port=port)
    yield port
    server.close()
    await server.wait_closed()


def address() -> str:
    return f"reporter{random.randrange(10**9)}@example.org"


def mail(
    sender: str, subject: str, body: str, *, photo: bytes | None = None, **headers: str
) -> EmailMessage:
    m = EmailMessage()
    m["From"] = f"张三 <{sender}>"
    m["To"] = INTAKE
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="example.org")
    for name, value in headers.items():
        m[name.replace("_", "-")] = value
    m.set_content(body)
    if photo is not None:
        m.add_attachment(photo, maintype="image", subtype="png", filename="灯.png")
    return m


async def send(port: int, message: EmailMessage, *, envelope_from: str | None = None) -> None:
    """Through the standard library's SMTP client, as any mail server would deliver."""

    def go() -> None:
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
            s.send_message(message, from_addr=envelope_from)

    await asyncio.to_thread(go)


def text_of(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def cases_of(own: Backend, channel: str = "email") -> list[Case]:
    async with own.sessionmaker()() as session:
        rows = await session.scalars(select(Case).where(Case.channel == channel).order_by(Case.id))
        return list(rows.all())


# --- out: the e-mail channel --------------------------------------------------------------


def outgoing(to: str, n: int = 1) -> Outgoing:
    return Outgoing(
        id=n,
        target=EmailTarget(to),
        title="您的诉求已受理",
        text="您的诉求 2026-000001（楼道灯不亮）已受理，将于 2026-12-05 17:30 前办结",
        template="case.accepted",
    )


async def test_the_channel_sends_chinese_utf8_through_the_relay(relay: SmtpRelay) -> None:
    to = address()
    accepted = await channel_to(relay).send(outgoing(to, 41))
    [m] = relay.to(to)
    assert m["Subject"] == "您的诉求已受理" and str(m["From"]).endswith(f"<{SENDER}>")
    assert "邻里" in str(m["From"]) and m["Reply-To"] == INTAKE
    assert m["Auto-Submitted"] == "auto-generated"
    assert m["Message-ID"] == f"<linli-outbox-41@{SENDER.split('@')[1]}>"
    assert accepted.provider_id == "linli-outbox-41@linli.example"
    body = m.get_body(("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert "2026-000001（楼道灯不亮）已受理" in text_of(m)
    assert relay.envelopes[-1] == (SENDER, [to])


async def test_relay_answers_decide_retry_or_give_up(relay: SmtpRelay) -> None:
    refused, deferred = address(), address()
    relay.answers[refused] = "550 5.1.1 no such mailbox"
    relay.answers[deferred] = "451 4.7.1 greylisted, try again"
    channel = channel_to(relay)
    with pytest.raises(PermanentFailure) as permanent:
        await channel.send(outgoing(refused))
    assert "550" in str(permanent.value) and refused not in str(permanent.value)
    with pytest.raises(TemporaryFailure) as temporary:
        await channel.send(outgoing(deferred))
    assert "451" in str(temporary.value) and deferred not in str(temporary.value)
    await relay.stop()  # the relay is down: connection refused
    with pytest.raises(TemporaryFailure):
        await channel.send(outgoing(address()))
    # STARTTLS is required unless turned off: a relay that cannot is not sent a password.
    await relay.start()
    strict = SmtpEmail("127.0.0.1", relay.port, sender=SENDER, tls="starttls")
    with pytest.raises((TemporaryFailure, PermanentFailure)):
        await strict.send(outgoing(address()))
    assert not relay.received


async def test_without_a_relay_there_is_no_email_channel(own: Backend) -> None:
    assert own.settings.smtp_host is None
    plain = await make_dispatcher(own.settings, own.sessionmaker())
    assert "email" not in plain.channels
    configured = await make_dispatcher(
        dataclasses.replace(own.settings, smtp_host="127.0.0.1", smtp_tls="none"),
        own.sessionmaker(),
    )
    assert isinstance(configured.channels["email"], SmtpEmail)
    for d in (plain, configured):
        await d.close()


# --- a hotline caller who left an e-mail address only ------------------------------------


async def emails_for(own: Backend, prefix: str) -> list[Notification]:
    async with own.sessionmaker()() as session:
        rows = await session.scalars(
            select(Notification)
            .where(Notification.dedupe_key.startswith(prefix), Notification.channel == "email")
            .order_by(Notification.id)
        )
        return list(rows.all())


async def test_an_email_only_reporter_hears_back_by_email(
    api: AsyncTestClient[Litestar],
    tokens: Tokens,
    own: Backend,
    relay: SmtpRelay,
    receiver: int,
) -> None:
    to = address()
    grid = (await grids_of(own))[0]
    case = await report(
        api, tokens, DENGYUE_CLERK, channel="hotline", contact_email=to, grid_code=grid
    )
    assert case["reporter_phone"] is None
    # Without an e-mail channel the row cannot be delivered: it fails at once, visibly.
    await Dispatcher(own.sessionmaker(), {}).drain()
    view = await act(api, tokens, DENGYUE_CLERK, case, "accept")
    [accepted] = await emails_for(own, f"case:{case['id']}:accepted")
    assert accepted.address_kind == "email" and to.encode() not in (accepted.address_sealed or b"")
    await dispatcher(own, relay).drain()
    [m] = relay.to(to)
    assert m["Subject"] == "您的诉求已受理"
    assert f"您的诉求 {case['number']}" in text_of(m) and "已受理" in text_of(m)
    async with own.sessionmaker()() as session:
        row = await session.get(Notification, accepted.id)
        assert row is not None and row.status == OutboxStatus.sent
    # Handled to the end: the "finished" e-mail asks for a rating …
    worker = await user_id(own, DENGYUE_GRID_WORKER)
    view = await act(api, tokens, DENGYUE_CLERK, view, "dispatch", assignee_id=worker)
    view = await act(api, tokens, DENGYUE_GRID_WORKER, view, "start")
    view = await act(api, tokens, DENGYUE_GRID_WORKER, view, "resolve", note="灯已换新")
    view = await act(api, tokens, DENGYUE_GRID_WORKER, view, "close")
    await dispatcher(own, relay).drain()
    finished = relay.to(to)[-1]
    assert finished["Subject"] == "您的诉求已办结" and "灯已换新" in text_of(finished)
    # … which the reporter answers from their mail program: "Re:", "2", the quote below.
    answer = mail(
        to,
        f"Re: {finished['Subject']}",
        "2\n\nOn Thu, 3 Dec 2026 at 10:00, 邻里 Linli <noreply@linli.example>\nwrote:\n"
        + "".join(f"> {line}\n" for line in text_of(finished).splitlines()),
        In_Reply_To=str(finished["Message-ID"]),
    )
    await send(receiver, answer)
    async with own.sessionmaker()() as session:
        row = await session.get(Case, case["id"])
        assert row is not None and row.satisfaction == 2
    await dispatcher(own, relay).drain()
    thanks = relay.to(to)[-1]
    assert thanks["Subject"] == "感谢您的评价"
    assert f"感谢您对诉求 {case['number']} 的评价" in text_of(thanks)
    assert [m["Subject"] for m in relay.to(to)] == [
        "您的诉求已受理",
        "您的诉求已办结",
        "感谢您的评价",
    ]


# --- in: e-mail to the intake address ----------------------------------------------------


async def test_an_email_opens_a_case_and_its_sender_asks_after_it(
    own: Backend, relay: SmtpRelay, receiver: int
) -> None:
    sender = address()
    photo = png()
    first = mail(
        sender,
        "=?utf-8?b?5qW86YGT54Gv5Z2P5LqG?=",  # 楼道灯坏了, as an encoded word
        "三号楼二单元楼道灯不亮，晚上很黑。\n\n-- \n张三\n13812345678",
        photo=photo,
    )
    await send(receiver, first)
    case = (await cases_of(own))[-1]
    assert case.description == "楼道灯坏了\n\n三号楼二单元楼道灯不亮，晚上很黑。"
    assert case.resident_id is None and case.item_id is None and case.state == "received"
    assert case.contact_email_sealed and sender.encode() not in case.contact_email_sealed
    assert len(case.photos) == 1 and case.grid_id is not None
    async with own.sessionmaker()() as session:
        media = await session.get(Media, case.photos[0])
        assert media is not None and media.data == photo and media.uploaded_by is None
    await dispatcher(own, relay).drain()
    [reply] = relay.to(sender)
    assert reply["Subject"] == "诉求已收到"
    assert f"已收到您的诉求 {case.number}，将于 " in text_of(reply)
    assert CaseService._when(case.due_at) in text_of(reply)
    # The same message again (its 250 was lost): not a second case.
    await send(receiver, first)
    assert (await cases_of(own))[-1].id == case.id
    # 查询 in the subject: its state, to its sender only.
    await send(receiver, mail(sender, f"查询 {case.number}", ""))
    await dispatcher(own, relay).drain()
    status = relay.to(sender)[-1]
    assert status["Subject"] == "您的诉求"
    assert f"诉求 {case.number}：待受理" in text_of(status)
    stranger = address()
    await send(receiver, mail(stranger, f"回复：查询{case.number}", "请问进度"))
    await dispatcher(own, relay).drain()
    [unknown] = relay.to(stranger)
    assert f"您没有编号为 {case.number} 的诉求" in text_of(unknown)
    assert (await cases_of(own))[-1].id == case.id


async def test_an_html_only_email_is_read_as_text(
    own: Backend, relay: SmtpRelay, receiver: int
) -> None:
    sender = address()
    m = EmailMessage()
    m["From"] = sender
    m["To"] = INTAKE.upper()  # addresses compare without case
    m["Subject"] = "井盖丢失"
    m.set_content(
        "<html><body><p>小区&nbsp;东门井盖丢了</p><blockquote>旧邮件</blockquote></body></html>",
        subtype="html",
    )
    await send(receiver, m)
    case = (await cases_of(own))[-1]
    assert case.description == "井盖丢失\n\n小区 东门井盖丢了"


async def test_the_receiver_refuses_what_is_not_for_it(own: Backend, receiver: int) -> None:
    before = len(await cases_of(own))

    def session() -> None:
        with smtplib.SMTP("127.0.0.1", receiver, timeout=30) as s:
            s.ehlo()
            assert s.mail(address())[0] == 250
            code, _ = s.rcpt("someone-else@linli.example")
            assert code == 550
            code, _ = s.rcpt(INTAKE)
            assert code == 250
            s.rset()
            # Announced too big: refused at MAIL FROM.
            code, _ = s.mail(address(), [f"SIZE={MAX_MESSAGE_BYTES + 1}"])
            assert code == 552
            s.rset()
            # Sent too big without saying so: refused after the data.
            assert s.mail(address())[0] == 250
            assert s.rcpt(INTAKE)[0] == 250
            code, _ = s.data(b"Subject: big\r\n\r\n" + (b"y" * 998 + b"\r\n") * 1100)
            assert code == 552

    await asyncio.to_thread(session)
    # A bounce (null sender) and an auto-reply are taken and dropped: no case, no answer.
    await send(receiver, mail(address(), "Undelivered", "bounce"), envelope_from="<>")
    await send(receiver, mail(address(), "Out of office", "away", Auto_Submitted="auto-replied"))
    assert len(await cases_of(own)) == before


async def test_unsubscribe_by_email(own: Backend, relay: SmtpRelay, receiver: int) -> None:
    sender = address()
    await send(receiver, mail(sender, "退订", ""))
    await dispatcher(own, relay).drain()
    [confirmed] = relay.to(sender)
    assert confirmed["Subject"] == "已退订" and "您已退订邻里邮件" in text_of(confirmed)
    # Nothing more goes to the address …
    async with own.sessionmaker().begin() as session:
        [row] = await enqueue(
            session,
            event=f"test:{sender}",
            template="case.rated",
            params={"number": "2026-000001"},
            recipients=[Recipient(contact=Contact(email=sender))],
            community_id=None,
        )
    await dispatcher(own, relay).drain()
    async with own.sessionmaker()() as session:
        kept = await session.get(Notification, row.id)
        assert kept is not None and kept.status == OutboxStatus.suppressed
    assert len(relay.to(sender)) == 1
    # … until it subscribes again (an "unsubscribe" link of the mail program sends 退订 too).
    assert "mailto:cases@linli.example?subject=%E9%80%80%E8%AE%A2" in str(
        confirmed["List-Unsubscribe"]
    )
    await send(receiver, mail(sender, "Re: 订阅", ""))
    await dispatcher(own, relay).drain()
    assert "您将重新收到邻里邮件" in text_of(relay.to(sender)[-1])


async def test_the_outbox_retries_a_deferred_email_and_gives_up_on_a_refused_one(
    own: Backend, relay: SmtpRelay
) -> None:
    deferred, refused = address(), address()
    relay.answers[deferred] = "452 4.2.2 mailbox full"
    relay.answers[refused] = "550 5.1.1 no such mailbox"
    async with own.sessionmaker().begin() as session:
        rows = {
            to: (
                await enqueue(
                    session,
                    event=f"test:retry:{to}",
                    template="case.rated",
                    params={"number": "2026-000001"},
                    recipients=[Recipient(contact=Contact(email=to))],
                    community_id=None,
                )
            )[0].id
            for to in (deferred, refused)
        }
    await dispatcher(own, relay).drain()
    async with own.sessionmaker()() as session:
        later = await session.get(Notification, rows[deferred])
        gone = await session.get(Notification, rows[refused])
    assert later is not None and later.status == OutboxStatus.pending and later.attempts == 1
    assert later.next_attempt_at > later.created_at and "452" in (later.last_error or "")
    assert (
        gone is not None and gone.status == OutboxStatus.failed and "550" in (gone.last_error or "")
    )
    for row in (later, gone):
        assert deferred not in (row.last_error or "") and refused not in (row.last_error or "")


async def test_without_an_intake_grid_the_sender_is_asked_to_call(
    own: Backend, relay: SmtpRelay, receiver: int
) -> None:
    inbound.configure(None, None)
    sender = address()
    before = len(await cases_of(own))
    await send(receiver, mail(sender, "你好", "路灯坏了"))
    assert len(await cases_of(own)) == before
    await dispatcher(own, relay).drain()
    [answer] = relay.to(sender)
    assert "无法将您的邮件登记为诉求" in text_of(answer)


async def test_linli_mail_in_runs_as_its_own_process(own: Backend) -> None:
    """The command an operator runs: it takes mail into the database and stops on SIGTERM."""
    port = free_port()
    grid = (await grids_of(own))[2]
    env = {
        **os.environ,
        "DATABASE_URL": own.url,
        "LINLI_VAR_DIR": str(own.settings.var_dir),  # the same key seals the contact
        "LINLI_MAIL_IN_ADDRESS": INTAKE,
        "LINLI_CASE_EMAIL_GRID": grid,
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "server.cli",
        "mail-in",
        "--port",
        str(port),
        env=env,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    sender = address()
    try:
        assert process.stdout is not None
        ready = (await process.stdout.readline()).decode()
        assert f"mail-in: SMTP on 127.0.0.1:{port}" in ready
        await send(port, mail(sender, "电梯困人", "5号楼电梯停在三楼"))
        case = (await cases_of(own))[-1]
        assert case.description == "电梯困人\n\n5号楼电梯停在三楼"
        async with own.sessionmaker()() as session:
            placed = await session.get(Grid, case.grid_id)
        assert placed is not None and placed.code == grid
    finally:
        process.terminate()
        output = (await process.communicate())[0].decode()
    assert process.returncode == 0, output
    assert sender not in output and "电梯" not in output
