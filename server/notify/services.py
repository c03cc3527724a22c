"""Push subscriptions, the VAPID key pair, and how a resident wants to hear back."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.services import CurrentUser
from server.lib.errors import NotFound
from server.lib.i18n import N_
from server.notify.models import AppSecret, PushSubscription
from server.notify.schemas import NotifyPreferences, SubscriptionCreate
from server.people.models import NotifyVia, Resident

__all__ = ["NotifyService", "ensure_vapid_keys"]


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

    async def preferences(self, user: CurrentUser) -> NotifyPreferences:
        resident = await self.session.scalar(select(Resident).where(Resident.user_id == user.id))
        return NotifyPreferences(via=resident.notify_via if resident else NotifyVia.push)

    async def set_preferences(
        self, user: CurrentUser, data: NotifyPreferences
    ) -> NotifyPreferences:
        resident = await self.session.scalar(select(Resident).where(Resident.user_id == user.id))
        if resident is None:
            raise NotFound(N_("No such resident"))
        resident.notify_via = data.via
        return data
