"""Delivering the outbox: lease, send, record; retries with backoff; receipts.

Any number of dispatchers may run (inside each app process, or as ``linli
worker``): a batch is *leased* by one atomic UPDATE (on PostgreSQL its
candidates are locked with SKIP LOCKED, so two workers never take the same
row; SQLite has a single writer). A dispatcher that dies mid-send loses
nothing: its lease runs out and another sends the rows again. So a message is
sent twice only when the process died after the provider accepted it and
before the outbox recorded that — at most one message per crash, since one
dispatcher has one message in flight — and web pushes carry a ``Topic`` so the
repeat replaces the first on the phone.

Delivery reports come back three ways: pushed by the channel itself (SMPP
receipts, :meth:`Dispatcher.record_receipt`), posted by the provider to the
callback endpoints (:mod:`server.notify.controllers`), or asked for:
:meth:`Dispatcher.poll_receipts` hands a channel that can be asked (a
:class:`~server.notify.channels.base.ReceiptPoller`) the SMS still waiting for
their report, every ``receipt_poll_seconds`` while :meth:`run_forever` runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.db.base import utcnow
from server.lib.crypto import open_sealed
from server.lib.kvstore import take_lease
from server.notify.channels.base import (
    Accepted,
    Channel,
    DeliveryReceipt,
    EmailTarget,
    Outgoing,
    PermanentFailure,
    PushTarget,
    ReceiptPoller,
    SentSms,
    SmsTarget,
    SubscriptionGone,
    TemporaryFailure,
)
from server.notify.inbound import InboundSms, handle_inbound, is_opted_out
from server.notify.models import Notification, OutboxStatus, PushSubscription
from server.notify.outbox import ADDRESS_CONTEXT
from server.notify.recipients import address_book
from server.notify.services import record_receipt, record_receipts
from server.notify.templates import TEMPLATES, render, template

__all__ = ["DispatchStats", "Dispatcher"]

log = logging.getLogger("linli.notify")


@dataclass(slots=True)
class DispatchStats:
    leased: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    suppressed: int = 0


def backoff(attempts: int) -> timedelta:
    """Exponential with jitter: ~5 s, 10 s, 20 s … capped at an hour."""
    base = min(3600.0, 5.0 * 2 ** max(0, attempts - 1))
    return timedelta(seconds=base * random.uniform(0.8, 1.2))


class Dispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        channels: Mapping[str, Channel],
        *,
        batch: int = 50,
        lease_seconds: int = 60,
        max_attempts: int = 8,
        poll_seconds: float = 1.0,
        concurrency: int = 1,
        receipt_poll_seconds: float = 0,
        receipt_max_age: timedelta = timedelta(days=3),
        receipt_batch: int = 100,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.channels = channels
        self.batch = batch
        self.lease = timedelta(seconds=lease_seconds)
        self.max_attempts = max_attempts
        self.poll_seconds = poll_seconds
        self.concurrency = concurrency
        self._wake = asyncio.Event()
        self._stopping = False
        # SQLite has one writer: this process's outcome records queue here, not in its busy handler.
        self._record_lock: asyncio.Lock | None = None
        # How often to ask polling channels for delivery reports (0: never), about SMS sent
        # within receipt_max_age, receipt_batch of them per poll.
        self.receipt_poll_seconds = receipt_poll_seconds
        self.receipt_max_age = receipt_max_age
        self.receipt_batch = receipt_batch
        self._receipt_after: dict[str, tuple[datetime, int]] = {}  # where each walk is

    def wake(self) -> None:
        """Something was enqueued: look now instead of at the next poll."""
        self._wake.set()

    # --- leasing -----------------------------------------------------------------------

    async def _lease(self) -> list[int]:
        now = utcnow()
        async with self.sessionmaker.begin() as session:
            dialect = session.get_bind().dialect.name
            due = (
                (Notification.status == OutboxStatus.pending)
                & (Notification.next_attempt_at <= now)
            ) | ((Notification.status == OutboxStatus.sending) & (Notification.lease_until < now))
            candidates = (
                select(Notification.id).where(due).order_by(Notification.id).limit(self.batch)
            )
            if dialect == "postgresql":
                candidates = candidates.with_for_update(skip_locked=True)
            result = await session.execute(
                update(Notification)
                .where(Notification.id.in_(candidates.scalar_subquery()), due)
                .values(
                    status=OutboxStatus.sending,
                    lease_until=now + self.lease,
                    attempts=Notification.attempts + 1,
                )
                .returning(Notification.id)
                .execution_options(synchronize_session=False)
            )
            return sorted(result.scalars().all())

    # --- sending -----------------------------------------------------------------------

    async def _targets(self, session: AsyncSession, n: Notification) -> list[Any]:
        if n.channel == "push":
            if n.user_id is None:
                return []
            subs = (
                await session.scalars(
                    select(PushSubscription)
                    .where(PushSubscription.user_id == n.user_id)
                    .order_by(PushSubscription.id)
                )
            ).all()
            return [PushTarget(endpoint=s.endpoint, p256dh=s.p256dh, auth=s.auth) for s in subs]
        known = TEMPLATES.get(n.template)
        exempt = known is not None and known.ignores_opt_out
        if n.channel == "email":
            address = await _email_address(session, n)
            if not address:
                return []
            if not exempt and await is_opted_out(session, "email", "email", address):
                raise _Suppressed("the address opted out of e-mail (退订)")
            return [EmailTarget(address=address)]
        phone = (await _sms_phones(session, [n])).get(n.id)
        if not phone:
            return []
        if not exempt and await is_opted_out(session, "sms", "phone", phone):
            raise _Suppressed("the number opted out of SMS (退订)")
        return [SmsTarget(phone=phone)]

    async def _send_one(self, notification_id: int, stats: DispatchStats) -> None:
        async with self.sessionmaker() as session:
            n = await session.get(Notification, notification_id)
            if n is None or n.status != OutboxStatus.sending:
                return
            suppressed: _Suppressed | None = None
            try:
                targets = await self._targets(session, n)
            except _Suppressed as exc:
                targets, suppressed = [], exc
            snapshot = (
                n.id,
                n.channel,
                n.template,
                dict(n.params),
                n.locale,
                n.url,
                n.topic,
                n.urgent,
                n.attempts,
            )
        nid, channel_name, template_key, params, locale, url, topic, urgent, attempts = snapshot
        channel = self.channels.get(channel_name)
        outcome: Accepted | Exception
        gone: list[str] = []
        if suppressed is not None:
            outcome = suppressed
        elif template_key not in TEMPLATES:
            # A domain that is not registered in this process (or a template since removed).
            outcome = PermanentFailure(f"unknown template {template_key}")
        elif channel is None:
            outcome = PermanentFailure(f"no {channel_name} channel configured")
        elif not targets:
            outcome = PermanentFailure(f"recipient has no {channel_name} address")
        else:
            title, body = render(template_key, locale, params)
            ordered = {k: str(params.get(k, "")) for k in template(template_key).params}
            outcome = PermanentFailure("not sent")
            for target in targets:
                message = Outgoing(
                    id=nid,
                    target=target,
                    title=title,
                    text=body,
                    template=template_key,
                    params=ordered,
                    url=url,
                    topic=topic,
                    urgent=urgent,
                )
                try:
                    accepted = await channel.send(message)
                except SubscriptionGone as exc:
                    gone.append(target.endpoint)
                    if not isinstance(outcome, Accepted | TemporaryFailure):
                        outcome = exc
                except TemporaryFailure as exc:
                    if not isinstance(outcome, Accepted):
                        outcome = exc
                except PermanentFailure as exc:
                    if not isinstance(outcome, Accepted | TemporaryFailure):
                        outcome = exc
                except Exception as exc:  # a channel bug must not kill the dispatcher
                    log.exception(
                        "channel %s raised %s for outbox row %s",
                        channel_name,
                        type(exc).__name__,
                        nid,
                    )
                    if not isinstance(outcome, Accepted):
                        outcome = TemporaryFailure(type(exc).__name__)
                else:
                    if not isinstance(outcome, Accepted):
                        outcome = accepted
        await self._record(nid, attempts, outcome, gone, stats)

    async def _record(
        self,
        nid: int,
        attempts: int,
        outcome: Accepted | Exception,
        gone: list[str],
        stats: DispatchStats,
    ) -> None:
        now = utcnow()
        async with self.sessionmaker.begin() as session:
            if gone:
                await session.execute(
                    delete(PushSubscription).where(PushSubscription.endpoint.in_(gone))
                )
            mine = (Notification.id == nid) & (Notification.status == OutboxStatus.sending)
            if isinstance(outcome, Accepted):
                values: dict[str, Any] = {
                    "status": OutboxStatus.sent,
                    "sent_at": now,
                    "provider_id": outcome.provider_id,
                    "lease_until": None,
                    "last_error": None,
                }
                stats.sent += 1
            elif isinstance(outcome, _Suppressed):
                values = {
                    "status": OutboxStatus.suppressed,
                    "lease_until": None,
                    "last_error": str(outcome)[:500],
                }
                stats.suppressed += 1
            elif isinstance(outcome, TemporaryFailure) and attempts < self.max_attempts:
                values = {
                    "status": OutboxStatus.pending,
                    "next_attempt_at": now + backoff(attempts),
                    "lease_until": None,
                    "last_error": str(outcome)[:500],
                }
                stats.retried += 1
            else:
                values = {
                    "status": OutboxStatus.failed,
                    "lease_until": None,
                    "last_error": f"{type(outcome).__name__}: {outcome}"[:500],
                }
                stats.failed += 1
            await session.execute(update(Notification).where(mine).values(**values))

    async def run_once(self) -> DispatchStats:
        """Lease one batch and send it; returns what happened."""
        stats = DispatchStats()
        ids = await self._lease()
        stats.leased = len(ids)
        # With concurrency 1 (the default) at most one message is ever "accepted by the provider,
        # not yet recorded", so a crash repeats at most one message. Higher values send faster
        # and may repeat up to that many per crash; scale out with more workers instead.
        gate = asyncio.Semaphore(self.concurrency)

        async def one(nid: int) -> None:
            async with gate:
                await self._send_one(nid, stats)

        await asyncio.gather(*(one(nid) for nid in ids))
        return stats

    async def drain(self, *, max_batches: int = 1000) -> DispatchStats:
        """Send until nothing is due (tests, the CLI)."""
        total = DispatchStats()
        for _ in range(max_batches):
            stats = await self.run_once()
            for field in ("leased", "sent", "retried", "failed", "suppressed"):
                setattr(total, field, getattr(total, field) + getattr(stats, field))
            if stats.leased == 0:
                break
        return total

    async def run_forever(self) -> None:
        """The loop of ``linli worker`` and of the in-app dispatcher task."""
        receipts: asyncio.Task[None] | None = None
        if self.receipt_poll_seconds > 0 and self._pollers():
            receipts = asyncio.create_task(self._poll_receipts_forever(), name="linli-receipts")
        try:
            while not self._stopping:
                try:
                    stats = await self.run_once()
                except Exception:
                    log.exception("dispatcher batch failed; retrying")
                    stats = DispatchStats()
                if stats.leased == 0:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), timeout=self.poll_seconds)
        finally:
            if receipts is not None:
                receipts.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await receipts

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()

    # --- receipts ----------------------------------------------------------------------

    async def record_receipt(self, receipt: DeliveryReceipt) -> bool:
        """Mark the SMS with this provider id delivered (or failed); False if unknown."""
        async with self.sessionmaker.begin() as session:
            return await record_receipt(session, receipt)

    async def record_inbound(self, message: InboundSms) -> str:
        """Hand an inbound SMS to the inbound handlers (one transaction), then send any reply."""
        async with self.sessionmaker.begin() as session:
            route = await handle_inbound(session, message)
        self.wake()
        return route

    def _pollers(self) -> dict[str, ReceiptPoller]:
        return {
            name: channel
            for name, channel in self.channels.items()
            if isinstance(channel, ReceiptPoller)
        }

    async def _poll_receipts_forever(self) -> None:
        # Every app process runs a dispatcher; one of them asks the providers per period.
        while not self._stopping:
            try:
                if await take_lease(
                    self.sessionmaker, "sms-receipt-poll", self.receipt_poll_seconds * 0.9
                ):
                    await self.poll_receipts()
            except Exception:
                log.exception("polling for delivery reports failed; trying again later")
            await asyncio.sleep(self.receipt_poll_seconds)

    async def poll_receipts(self) -> int:
        """Ask each channel that can be asked about SMS still waiting for their report.

        One batch per channel and call; successive calls walk the waiting rows in
        id order and start again from the oldest, so a row whose report never
        comes does not keep the others from being asked. Returns how many rows
        a report was recorded for.
        """
        recorded = 0
        for name, channel in self._pollers().items():
            pending = await self._awaiting_receipt(name)
            if not pending:
                continue
            receipts = await channel.poll_receipts(pending)
            if receipts:
                async with self.sessionmaker.begin() as session:
                    recorded += await record_receipts(
                        session, receipts, source=f"{name} receipt poll"
                    )
        return recorded

    async def _awaiting_receipt(self, channel: str) -> list[SentSms]:
        """The next batch of this channel's rows in status ``sent``, sent within the max age.

        A keyset walk in (sent_at, id) order along ``ix_outbox_awaiting_report``: each
        call goes on after the last row of the previous one, and after a short batch the
        next pass starts again from the oldest row that can still matter. Rows older
        than the max age are never read; a row sent later always sorts after the walk.
        """
        since = utcnow() - self.receipt_max_age
        after = self._receipt_after.get(channel)
        query = select(Notification).where(
            Notification.channel == channel,
            Notification.status == OutboxStatus.sent,
            Notification.sent_at >= since,
            Notification.provider_id.is_not(None),
        )
        if after is not None:
            query = query.where(tuple_(Notification.sent_at, Notification.id) > tuple_(*after))
        async with self.sessionmaker() as session:
            rows = (
                await session.scalars(
                    query.order_by(Notification.sent_at, Notification.id).limit(self.receipt_batch)
                )
            ).all()
            phones = await _sms_phones(session, rows)
        if len(rows) < self.receipt_batch:
            self._receipt_after.pop(channel, None)  # the end: the next pass starts again
        else:
            self._receipt_after[channel] = (rows[-1].sent_at or since, rows[-1].id)
        return [
            SentSms(n.id, n.provider_id or "", phones.get(n.id), n.sent_at or since) for n in rows
        ]


async def _email_address(session: AsyncSession, n: Notification) -> str | None:
    """A row's e-mail address: a contact's (sealed on the row), else the one the domain keeps
    for its person (accounts have none)."""
    if n.address_kind == "email" and n.address_sealed is not None:
        return open_sealed(n.address_sealed, context=ADDRESS_CONTEXT)
    if n.recipient_kind is not None and n.recipient_ref is not None:
        book = address_book(n.recipient_kind)
        if book is not None:
            kept = (await book(session, [n.recipient_ref])).get(n.recipient_ref)
            return kept.email if kept is not None else None
    return None


async def _sms_phones(session: AsyncSession, rows: Sequence[Notification]) -> dict[int, str]:
    """Each row's SMS number: a contact's (sealed on the row), else the one the domain keeps
    for its person (asked of its address book now, so a corrected number is used), else the
    account's."""
    by_kind: dict[str, set[int]] = {}
    for n in rows:
        if n.recipient_kind is not None and n.recipient_ref is not None:
            by_kind.setdefault(n.recipient_kind, set()).add(n.recipient_ref)
    kept: dict[tuple[str, int], str | None] = {}
    for kind, refs in by_kind.items():
        book = address_book(kind)
        if book is None:
            log.warning("no address book for recipients of kind %r", kind)
            continue
        for ref, address in (await book(session, refs)).items():
            kept[(kind, ref)] = address.phone
    user_ids = {n.user_id for n in rows if n.user_id is not None}
    by_user: dict[int, str | None] = {}
    if user_ids:
        found_users = await session.execute(
            select(User.id, User.phone).where(User.id.in_(user_ids))
        )
        by_user = {uid: phone for uid, phone in found_users.all()}
    phones: dict[int, str] = {}
    for n in rows:
        phone: str | None = None
        if n.address_kind == "phone" and n.address_sealed is not None:
            phone = open_sealed(n.address_sealed, context=ADDRESS_CONTEXT)
        if phone is None and n.recipient_kind is not None and n.recipient_ref is not None:
            phone = kept.get((n.recipient_kind, n.recipient_ref))
        if phone is None and n.user_id is not None:
            phone = by_user.get(n.user_id)
        if phone:
            phones[n.id] = phone
    return phones


class _Suppressed(PermanentFailure):
    """Not to be sent at all (the address opted out): the row ends ``suppressed``."""
