"""Writing notifications into the outbox, inside the caller's transaction.

Who hears what, and how: see :class:`~server.notify.recipients.Recipient`. SMS
that is not urgent waits out the community's quiet hours
(:class:`~server.notify.models.CommunityNotifySettings`).

A message with a ``topic`` (its subject, e.g. ``wish-42``) *supersedes* the
older ones on that topic to the same recipient and channel that have not gone
out yet: after a night of quiet hours a resident hears what is true now, not
"claimed by X", "open again" and "claimed by Y" in a row.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Select,
    String,
    Table,
    bindparam,
    case,
    cast,
    func,
    literal,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import utcnow
from server.db.core import execute
from server.lib.crypto import seal
from server.notify.models import CommunityNotifySettings, Notification, OutboxStatus
from server.notify.recipients import Contact, Recipient, normal_address
from server.notify.templates import template as template_named

__all__ = [
    "ADDRESS_CONTEXT",
    "DEFAULT_QUIET",
    "LOCAL_TZ",
    "Contact",
    "Recipient",
    "UsersOf",
    "Written",
    "enqueue",
    "quiet_until",
]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_QUIET = ("21:30", "07:30")
#: The AES-GCM context of a contact's address sealed on an outbox row.
ADDRESS_CONTEXT = b"outbox-address"


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, start: str, end: str) -> datetime | None:
    """End of the quiet window that ``now`` falls in (UTC), or None outside it.

    ``start == end`` is no window at all.
    """
    local = now.astimezone(LOCAL_TZ)
    begin, finish = _parse(start), _parse(end)
    if begin == finish:
        return None
    t = local.time()
    inside = (begin <= t or t < finish) if begin > finish else (begin <= t < finish)
    if not inside:
        return None
    day = local.date() if t < finish else local.date() + timedelta(days=1)
    return datetime.combine(day, finish, tzinfo=LOCAL_TZ).astimezone(now.tzinfo)


async def _sms_at(session: AsyncSession, now: datetime, community_id: int | None) -> datetime:
    if community_id is None:
        return now
    settings = await session.get(CommunityNotifySettings, community_id)
    if settings is not None and not settings.quiet_enabled:
        return now
    start, end = (settings.quiet_start, settings.quiet_end) if settings else DEFAULT_QUIET
    return quiet_until(now, start, end) or now


def _address(contact: Contact | None, channel: str) -> tuple[str | None, bytes | None]:
    if contact is None:
        return None, None
    if channel == "sms" and contact.phone:
        return "phone", seal(normal_address("phone", contact.phone), context=ADDRESS_CONTEXT)
    if channel == "email" and contact.email:
        return "email", seal(normal_address("email", contact.email), context=ADDRESS_CONTEXT)
    return None, None


_TABLE: Table = Notification.__table__  # type: ignore[assignment]


@functools.cache
def _insert(dialect: str) -> Any:
    """Every new row in one statement, built once: rows whose dedupe key is taken are
    skipped (written before for this event, recipient and channel)."""
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    return (
        insert(_TABLE)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(_TABLE.c.id, _TABLE.c.dedupe_key)
    )


@dataclass(frozen=True)
class UsersOf:
    """Recipients the database picks as the rows are written: the users ``query`` selects
    (two columns, the user's id and locale; its own parameters in ``params``), each on
    ``channels``. :func:`enqueue` writes their rows with one INSERT … SELECT, so telling a
    community's office of a new wish costs no round trip to read who is in it first.
    ``query`` must be built once (a module constant): the statement is built once per
    query and set of channels."""

    query: Select[int, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    channels: tuple[str, ...] = ("push",)


_N = "outbox_"  # the prefix of :func:`_insert_for_users`' own parameters


@functools.cache
def _insert_for_users(query: Select[int, str], channels: tuple[str, ...], dialect: str) -> Any:
    """INSERT … SELECT of one row per user of ``query`` and channel, with the same keys
    :class:`Recipient` gives a user (``u<id>``); rows whose dedupe key is taken are
    skipped. SQLite needs a WHERE in the SELECT to read ON CONFLICT right."""
    users = query.subquery("users")
    uid, locale = users.c
    c = _TABLE.c

    def p(name: str, column: str) -> Any:
        return bindparam(_N + name, type_=c[column].type)

    key = cast(uid, String)
    parts = []
    for channel in channels:
        tail = literal(f":{channel}", String)
        parts.append(
            select(
                p("now", "created_at"),
                p("event", "dedupe_key") + literal(":u", String) + key + tail,
                literal(channel, String),
                uid,
                p("template", "template"),
                p("params", "params"),
                locale,
                p("url", "url"),
                p("topic", "topic"),
                func.substr(p("topic", "topic") + literal(":u", String) + key + tail, 1, 160),
                p("urgent", "urgent"),
                p("community", "community_id"),
                p("status", "status"),
                literal(0),
                p(f"due_{channel}", "next_attempt_at"),
            ).where(true())
        )
    columns = [
        "created_at",
        "dedupe_key",
        "channel",
        "user_id",
        "template",
        "params",
        "locale",
        "url",
        "topic",
        "collapse_key",
        "urgent",
        "community_id",
        "status",
        "attempts",
        "next_attempt_at",
    ]
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    rows = parts[0] if len(parts) == 1 else union_all(*parts)
    return (
        insert(_TABLE)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(c.id, c.dedupe_key, c.channel, c.user_id, c.locale, c.collapse_key)
    )


class Written(SimpleNamespace):
    """An outbox row as :func:`enqueue` wrote it: its columns as attributes, no ORM object
    (building mapped ``Notification`` objects nobody attaches was 2 % of posting a wish)."""


async def enqueue(
    session: AsyncSession,
    *,
    event: str,
    template: str,
    params: dict[str, Any],
    recipients: Sequence[Recipient] | UsersOf,
    community_id: int | None,
    url: str | None = None,
    topic: str | None = None,
    urgent: bool = False,
    new_subject: bool = False,
) -> list[Written]:
    """Add outbox rows for ``recipients``; ``event`` identifies the change (e.g. "wish:42:approved").

    Rows already written for the same event, recipient and channel are not
    written again (per-recipient deduplication). With a ``topic``, older rows on
    it to the same recipient and channel that are still waiting are marked
    superseded (``new_subject``: the topic's subject was created in this
    transaction, so there is nothing older to look for). ``urgent`` messages do not
    wait for the end of quiet hours.

    At most three statements, whatever the number of recipients: the community's
    quiet hours (only when an SMS is among them), one INSERT of every row that is
    new, one UPDATE of the rows they supersede. Returns the rows written
    (:class:`Written`, plain records).
    """
    template_named(template)  # KeyError for a key no domain registered
    now = utcnow()
    clean = {k: str(v) for k, v in params.items()}
    if isinstance(recipients, UsersOf):
        fresh = await _enqueue_for_users(
            session, recipients, event, template, clean, community_id, url, topic, urgent, now
        )
        await _supersede(session, fresh, new_subject)
        return fresh
    wanted: list[dict[str, Any]] = []
    seen: set[str] = set()
    for r in recipients:
        for channel in r.channels():
            key = f"{event}:{r.key()}:{channel}"
            if key in seen:
                continue
            seen.add(key)
            address_kind, sealed = _address(r.contact, channel)
            wanted.append(
                {
                    "created_at": now,
                    "dedupe_key": key,
                    "channel": channel,
                    "user_id": r.user_id,
                    "recipient_kind": r.kind,
                    "recipient_ref": r.ref,
                    "address_kind": address_kind,
                    "address_sealed": sealed,
                    "template": template,
                    "params": clean,
                    "locale": r.locale,
                    "url": url,
                    "topic": topic,
                    "collapse_key": f"{topic}:{r.key()}:{channel}"[:160] if topic else None,
                    "urgent": urgent,
                    "community_id": community_id,
                    "status": OutboxStatus.pending,
                    "attempts": 0,
                    "next_attempt_at": now,
                }
            )
    if not wanted:
        return []
    if not urgent and any(row["channel"] == "sms" for row in wanted):
        sms_at = await _sms_at(session, now, community_id)
        for row in wanted:
            if row["channel"] == "sms":
                row["next_attempt_at"] = sms_at
    ids = (await execute(session, _insert(session.get_bind().dialect.name), wanted)).all()
    by_key = {key: row_id for row_id, key in ids}
    fresh = []
    for row in wanted:
        if row["dedupe_key"] in by_key:
            fresh.append(Written(id=by_key[row["dedupe_key"]], **row))
    await _supersede(session, fresh, new_subject)
    return fresh


async def _enqueue_for_users(
    session: AsyncSession,
    users: UsersOf,
    event: str,
    template: str,
    params: dict[str, str],
    community_id: int | None,
    url: str | None,
    topic: str | None,
    urgent: bool,
    now: datetime,
) -> list[Written]:
    sms_at = now
    if "sms" in users.channels and not urgent:
        sms_at = await _sms_at(session, now, community_id)
    values = {
        **users.params,
        _N + "now": now,
        _N + "event": event,
        _N + "template": template,
        _N + "params": params,
        _N + "url": url,
        _N + "topic": topic,
        _N + "urgent": urgent,
        _N + "community": community_id,
        _N + "status": OutboxStatus.pending,
        **{_N + f"due_{ch}": sms_at if ch == "sms" else now for ch in users.channels},
    }
    statement = _insert_for_users(users.query, users.channels, session.get_bind().dialect.name)
    written = (await execute(session, statement, values)).all()
    return [
        Written(
            id=row_id,
            created_at=now,
            dedupe_key=key,
            channel=channel,
            user_id=user_id,
            recipient_kind=None,
            recipient_ref=None,
            address_kind=None,
            address_sealed=None,
            template=template,
            params=params,
            locale=locale,
            url=url,
            topic=topic,
            collapse_key=collapse,
            urgent=urgent,
            community_id=community_id,
            status=OutboxStatus.pending,
            attempts=0,
            next_attempt_at=sms_at if channel == "sms" else now,
        )
        for row_id, key, channel, user_id, locale, collapse in written
    ]


async def _supersede(session: AsyncSession, fresh: list[Written], new_subject: bool) -> None:
    """Each older waiting row on the same collapse key is superseded by the newest one
    written now (not needed when the subject is new in this transaction)."""
    newest = {n.collapse_key: n.id for n in fresh if n.collapse_key is not None}
    if not newest or new_subject:
        return
    table = _TABLE
    by = case(newest, value=table.c.collapse_key)
    await session.execute(
        update(table)
        .where(
            table.c.collapse_key.in_(list(newest)),
            table.c.status == OutboxStatus.pending,
            table.c.id < by,
        )
        .values(
            status=OutboxStatus.superseded,
            last_error=literal("superseded by #") + cast(by, String),
        )
    )
