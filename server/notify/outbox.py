"""Writing notifications into the outbox, inside the caller's transaction.

Who hears what, and how: a resident is told by push (if they have an account
with a subscribed phone), by SMS, or both, as they chose; staff and volunteers
by push. SMS that is not urgent waits out the community's quiet hours.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import utcnow
from server.notify.models import CommunityNotifySettings, Notification
from server.notify.templates import TEMPLATES
from server.people.models import NotifyVia

__all__ = ["LOCAL_TZ", "Recipient", "enqueue", "quiet_until"]

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


class Recipient:
    """Someone to notify: a user, a resident (who may have a user account), or both."""

    __slots__ = ("locale", "resident_id", "user_id", "via")

    def __init__(
        self,
        *,
        user_id: int | None = None,
        resident_id: int | None = None,
        via: NotifyVia = NotifyVia.push,
        locale: str = "zh_Hans",
    ) -> None:
        if user_id is None and resident_id is None:
            raise ValueError("a recipient needs a user or a resident")
        self.user_id = user_id
        self.resident_id = resident_id
        self.via = via
        self.locale = locale

    def key(self) -> str:
        return f"u{self.user_id}" if self.user_id is not None else f"r{self.resident_id}"


def _parse(hhmm: str) -> time:
    hours, minutes = hhmm.split(":")
    return time(int(hours), int(minutes))


def quiet_until(now: datetime, start: str, end: str) -> datetime | None:
    """End of the quiet window that ``now`` falls in (UTC), or None outside it."""
    local = now.astimezone(LOCAL_TZ)
    begin, finish = _parse(start), _parse(end)
    t = local.time()
    inside = (begin <= t or t < finish) if begin > finish else (begin <= t < finish)
    if not inside:
        return None
    day = local.date() if t < finish else local.date() + timedelta(days=1)
    return datetime.combine(day, finish, tzinfo=LOCAL_TZ).astimezone(now.tzinfo)


async def enqueue(
    session: AsyncSession,
    *,
    event: str,
    template: str,
    params: dict[str, Any],
    recipients: list[Recipient],
    community_id: int | None,
    url: str | None = None,
    topic: str | None = None,
    urgent: bool = False,
) -> list[Notification]:
    """Add outbox rows for ``recipients``; ``event`` identifies the change (e.g. "wish:42:approved").

    Rows already written for the same event, recipient and channel are not
    written again (per-recipient deduplication).
    """
    if template not in TEMPLATES:
        raise KeyError(f"unknown notification template {template!r}")
    now = utcnow()
    sms_at = now
    if not urgent and community_id is not None:
        settings = await session.get(CommunityNotifySettings, community_id)
        start, end = (settings.quiet_start, settings.quiet_end) if settings else ("21:30", "07:30")
        sms_at = quiet_until(now, start, end) or now
    wanted: list[Notification] = []
    seen: set[str] = set()
    for r in recipients:
        channels = {
            NotifyVia.push: ["push"],
            NotifyVia.sms: ["sms"],
            NotifyVia.both: ["push", "sms"],
        }[r.via]
        for channel in channels:
            if channel == "push" and r.user_id is None:
                continue  # no account, no phone to push to
            key = f"{event}:{r.key()}:{channel}"
            if key in seen:
                continue
            seen.add(key)
            wanted.append(
                Notification(
                    dedupe_key=key,
                    channel=channel,
                    user_id=r.user_id,
                    resident_id=r.resident_id,
                    template=template,
                    params={k: str(v) for k, v in params.items()},
                    locale=r.locale,
                    url=url,
                    topic=topic,
                    urgent=urgent,
                    community_id=community_id,
                    next_attempt_at=sms_at if channel == "sms" else now,
                )
            )
    if not wanted:
        return []
    existing = set(
        (
            await session.scalars(
                select(Notification.dedupe_key).where(
                    Notification.dedupe_key.in_([n.dedupe_key for n in wanted])
                )
            )
        ).all()
    )
    fresh = [n for n in wanted if n.dedupe_key not in existing]
    session.add_all(fresh)
    return fresh
