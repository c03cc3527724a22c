"""Push subscriptions, the VAPID key pair, what SMS providers post (delivery reports, replies),
communities' quiet hours."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES
from server.accounts.scope import ScopedRow
from server.accounts.services import ADMIN_ROLES, CurrentUser
from server.audit.services import AuditService
from server.db.base import utcnow
from server.grids.models import Community
from server.grids.services import GridService
from server.lib.errors import BadRequest, Forbidden, NotFound
from server.lib.i18n import N_
from server.notify.channels.base import DeliveryReceipt
from server.notify.inbound import InboundSms, handle_inbound
from server.notify.models import (
    AppSecret,
    CommunityNotifySettings,
    Notification,
    OutboxStatus,
    PushSubscription,
)
from server.notify.outbox import DEFAULT_QUIET
from server.notify.schemas import (
    AliyunReportAck,
    AliyunSmsReply,
    AliyunSmsReport,
    NotifySettings,
    NotifySettingsUpdate,
    SubscriptionCreate,
    TencentReportAck,
    TencentSmsReply,
    TencentSmsReport,
)

__all__ = [
    "NotifyService",
    "NotifySettingsService",
    "SmsReplyService",
    "SmsReportService",
    "ensure_vapid_keys",
    "record_receipt",
    "record_receipts",
]

log = logging.getLogger("linli.notify")


async def ensure_vapid_keys(session: AsyncSession) -> tuple[str, str]:
    """(private, public) VAPID keys: created once, on first need, shared by every process."""
    from server.notify.channels.webpush import generate_vapid_keys

    rows = dict(
        (
            await session.execute(
                select(AppSecret.name, AppSecret.value).where(
                    AppSecret.name.in_(["vapid_private", "vapid_public"])
                )
            )
        ).all()
    )
    if "vapid_private" in rows and "vapid_public" in rows:
        return rows["vapid_private"], rows["vapid_public"]
    private, public = generate_vapid_keys()
    try:
        async with session.begin_nested():
            session.add_all(
                [
                    AppSecret(name="vapid_private", value=private),
                    AppSecret(name="vapid_public", value=public),
                ]
            )
    except IntegrityError:  # another process created them first: use theirs
        return await ensure_vapid_keys(session)
    return private, public


async def record_receipt(session: AsyncSession, receipt: DeliveryReceipt) -> bool:
    """Mark the SMS with this provider id delivered (or failed); False if no SMS has it."""
    values: dict[str, Any] = (
        {"status": OutboxStatus.delivered, "delivered_at": utcnow()}
        if receipt.delivered
        else {"status": OutboxStatus.failed, "last_error": f"receipt: {receipt.status}"[:500]}
    )
    result = await session.execute(
        update(Notification)
        .where(Notification.provider_id == receipt.provider_id, Notification.channel == "sms")
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def record_receipts(
    session: AsyncSession, receipts: Sequence[DeliveryReceipt], *, source: str
) -> int:
    """Record a batch of receipts (a poll, a provider's callback); returns how many matched.

    Receipts for ids the outbox does not know (another system on the same
    provider account, or rows long gone) are ignored: asking again would not help.
    """
    matched = 0
    for receipt in receipts:
        matched += await record_receipt(session, receipt)
    if receipts:
        log.info("%s: %d delivery report(s), %d matched the outbox", source, len(receipts), matched)
    return matched


class NotifyService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def public_key(self) -> str:
        return (await ensure_vapid_keys(self.session))[1]

    async def subscribe(
        self, user: CurrentUser, data: SubscriptionCreate, user_agent: str | None
    ) -> None:
        existing = await self.session.scalar(
            select(PushSubscription).where(PushSubscription.endpoint == data.endpoint)
        )
        if existing is not None:  # the same device, maybe another person logged in on it now
            existing.user_id = user.id
            existing.p256dh, existing.auth = data.keys.p256dh, data.keys.auth
            existing.user_agent = (user_agent or "")[:200] or None
            return
        self.session.add(
            PushSubscription(
                user_id=user.id,
                endpoint=data.endpoint,
                p256dh=data.keys.p256dh,
                auth=data.keys.auth,
                user_agent=(user_agent or "")[:200] or None,
            )
        )

    async def unsubscribe(self, user: CurrentUser, endpoint: str) -> None:
        result = await self.session.execute(
            delete(PushSubscription).where(
                PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            raise NotFound(N_("Not found"))


class SmsReportService:
    """Delivery reports the SMS providers post to the callback endpoints."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def aliyun(self, reports: Sequence[AliyunSmsReport]) -> AliyunReportAck:
        receipts = [
            DeliveryReceipt(
                r.biz_id,
                r.success,
                r.err_code or ("DELIVERED" if r.success else "FAILED"),
                {"source": "SmsReport", "err_msg": r.err_msg, "report_time": r.report_time},
            )
            for r in reports
        ]
        await record_receipts(self.session, receipts, source="Aliyun SmsReport")
        return AliyunReportAck()

    async def tencent(self, reports: Sequence[TencentSmsReport]) -> TencentReportAck:
        receipts = [
            DeliveryReceipt(
                r.sid,
                r.report_status == "SUCCESS",
                r.errmsg or r.report_status,
                {"source": "callback", "description": r.description},
            )
            for r in reports
        ]
        await record_receipts(self.session, receipts, source="Tencent status callback")
        return TencentReportAck()


class NotifySettingsService:
    """A community's quiet hours: read by its office and those above, changed by its admins."""

    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    async def _community(self, user: CurrentUser, code: str) -> Community:
        return await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )

    def _view(self, community: Community, row: CommunityNotifySettings | None) -> NotifySettings:
        if row is None:
            start, end = DEFAULT_QUIET
            return NotifySettings(community.code, True, start, end)
        return NotifySettings(
            community.code, row.quiet_enabled, row.quiet_start, row.quiet_end, row.updated_at
        )

    async def get(self, user: CurrentUser, code: str) -> NotifySettings:
        community = await self._community(user, code)
        return self._view(community, await self.session.get(CommunityNotifySettings, community.id))

    async def put(
        self,
        user: CurrentUser,
        code: str,
        data: NotifySettingsUpdate,
        client_ip: str | None = None,
    ) -> NotifySettings:
        community = await self._community(user, code)  # 404 outside the office's scope
        if not user.scope_of(ADMIN_ROLES).covers(community):
            raise Forbidden(N_("Your role does not allow this"))
        if data.quiet_enabled and data.quiet_start == data.quiet_end:
            raise BadRequest(N_("Quiet hours must start and end at different times"))
        row = await self.session.get(CommunityNotifySettings, community.id)
        before = self._view(community, row)
        if row is None:
            row = CommunityNotifySettings(community_id=community.id)
            self.session.add(row)
        row.quiet_enabled = data.quiet_enabled
        row.quiet_start, row.quiet_end = data.quiet_start, data.quiet_end
        row.updated_by = user.id
        row.updated_at = utcnow()
        AuditService(self.session).record(
            user.id,
            "notify.settings",
            "community",
            community.code,
            where=ScopedRow(community.sub_district_id, community.id, None),
            client_ip=client_ip,
            before=[before.quiet_enabled, before.quiet_start, before.quiet_end],
            after=[data.quiet_enabled, data.quiet_start, data.quiet_end],
        )
        await self.session.flush()
        return self._view(community, row)


class SmsReplyService:
    """SMS people sent us, posted by the providers' reply (MO) callbacks."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def aliyun(self, replies: Sequence[AliyunSmsReply]) -> AliyunReportAck:
        for r in replies:
            await handle_inbound(
                self.session,
                InboundSms(
                    phone=r.phone_number,
                    text=r.content,
                    provider="aliyun",
                    provider_id=None if r.sequence_id is None else f"aliyun-{r.sequence_id}",
                ),
            )
        return AliyunReportAck()

    async def tencent(self, replies: Sequence[TencentSmsReply]) -> TencentReportAck:
        for r in replies:
            code = (r.nationcode or "86").lstrip("+")
            phone = r.mobile if r.mobile.startswith("+") else f"+{code}{r.mobile}"
            # With the sender's hashed number in the event key, the time tells replies apart.
            stamp = f"tencent-{r.time}" if r.time is not None else None
            await handle_inbound(
                self.session,
                InboundSms(phone=phone, text=r.text, provider="tencent", provider_id=stamp),
            )
        return TencentReportAck()
