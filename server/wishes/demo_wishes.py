"""Demo micro-wishes 微心愿 in the demo city: about a dozen wishes of 登月社区 and 玉兰花园社区
over the last seven weeks, in every state the board, the moderation queue, the thanks wall
and the statistics show.

Each wish is posted and moved through its life by the real service methods as the demo
residents, staff and volunteers would; its times are then moved into the past together
(history, created, claimed, fulfilled, confirmed, expiry, the volunteer hours credited).
The outbox rows the loading wrote are deleted: no SMS goes to demo phones.

Idempotent: skipped when the first demo wish is there already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.services import CurrentUser, load_current_user
from server.notify.models import Notification as Outbox
from server.notify.templates import register_templates
from server.people.models import Resident, VolunteerHours
from server.wishes.messages import TEMPLATES as WISH_TEMPLATES
from server.wishes.models import ClaimantKind, Wish, WishCategory, WishEvent
from server.wishes.schemas import ClaimRequest, ConfirmRequest, FulfilRequest, WishCreate
from server.wishes.services import WishService

__all__ = ["DEMO_WISHES", "load_demo_wishes"]

# Who acts, by demo account phone.
OFFICE_D, WORKER_D, BARBER, SUN, PARTY = (
    "13800000003",
    "13800000005",
    "13800000006",
    "13800000007",
    "13800000010",
)
OFFICE_Y, QIAN, COOK = "13800000009", "13800000011", "13800000012"


@dataclass(frozen=True, slots=True)
class DemoWish:
    """One demo wish: who posts it (a resident for herself, or the grid worker for a
    resident by name), how far it got, who claimed it, and when it was posted."""

    poster: str
    title: str
    category: WishCategory
    description: str
    days_ago: float
    end: str  # submitted | rejected | approved | claimed | fulfilled | confirmed
    office: str = OFFICE_D
    claimant: str = BARBER
    kind: str = "volunteer"
    for_resident: str | None = None
    thanks: str | None = None


DEMO_WISHES: tuple[DemoWish, ...] = (
    DemoWish(SUN, "想理个发", WishCategory.daily_help, "腿脚不便，出不了门，想请师傅上门理发。",
             45, "confirmed", thanks="赵师傅手艺好，谢谢！"),
    DemoWish(WORKER_D, "换个灯泡", WishCategory.repair, "厨房灯泡坏了，老人够不着。",
             38, "confirmed", claimant=PARTY, kind="party_member", for_resident="周大爷",
             thanks="郑师傅当天就来换好了"),
    DemoWish(SUN, "陪我去医院复查", WishCategory.health, "下周二上午去市人民医院复查血压，想找人陪同。",
             30, "confirmed", claimant=PARTY, kind="party_member", thanks="一路照顾，非常感谢"),
    DemoWish(WORKER_D, "辅导孩子功课", WishCategory.study, "孩子上五年级，数学跟不上，想找志愿者每周辅导一次。",
             24, "fulfilled", for_resident="小明"),
    DemoWish(QIAN, "一起包饺子过冬至", WishCategory.companionship, "一个人住，冬至想和邻居一起包饺子。",
             20, "confirmed", office=OFFICE_Y, claimant=COOK, thanks="饺子真香，过了个热闹的冬至"),
    DemoWish(WORKER_D, "修一下轮椅", WishCategory.repair, "轮椅右边刹车失灵，推着不安全。",
             9, "claimed", claimant=PARTY, kind="party_member", for_resident="周大爷"),
    DemoWish(SUN, "教我用手机视频", WishCategory.study, "想和外地的孙子视频通话，不会操作。",
             6, "approved"),
    DemoWish(WORKER_D, "需要一台旧电风扇", WishCategory.goods, "家里电扇坏了，夏天前想要一台旧的能用的。",
             5, "approved", for_resident="周大爷"),
    DemoWish(QIAN, "帮忙取快递", WishCategory.daily_help, "快递放在小区门口驿站，提不动。",
             3, "approved", office=OFFICE_Y),
    DemoWish(SUN, "读报给我听", WishCategory.companionship, "眼睛不好，想有人每周来读读报纸、聊聊天。",
             2, "approved"),
    DemoWish(SUN, "买点药", WishCategory.health, "想请人代买降压药，药钱我出。", 1, "submitted"),
    DemoWish(SUN, "借钱周转", WishCategory.other, "想借两千块钱。", 12, "rejected"),
)  # fmt: skip


async def load_demo_wishes(session: AsyncSession) -> int:
    """Post and work the demo wishes (once); returns how many were added."""
    if await session.scalar(select(Wish.id).where(Wish.title == DEMO_WISHES[0].title).limit(1)):
        return 0
    register_templates("wish", WISH_TEMPLATES)  # as the app does at start (the CLI has not)
    outbox_before = await session.scalar(select(func.max(Outbox.id))) or 0
    users = {u.phone: u for u in (await session.scalars(select(User))).all()}
    people: dict[str, CurrentUser] = {}

    async def person(phone: str) -> CurrentUser:
        if phone not in people:
            loaded = await load_current_user(session, users[phone].id)
            assert loaded is not None
            people[phone] = loaded
        return people[phone]

    service = WishService(session)
    for demo in sorted(DEMO_WISHES, key=lambda w: -w.days_ago):
        beneficiary = None
        if demo.for_resident is not None:
            beneficiary = await session.scalar(
                select(Resident.id).where(Resident.name == demo.for_resident).limit(1)
            )
            assert beneficiary is not None
        view = await service.post(
            await person(demo.poster),
            WishCreate(
                title=demo.title,
                category=demo.category,
                description=demo.description,
                beneficiary_id=beneficiary,
                consent_note="老人当面同意代为发布" if beneficiary else None,
            ),
        )
        if demo.end == "rejected":
            await service.reject(
                await person(demo.office), view.id, "不属于微心愿范围，已转社区救助"
            )
        elif demo.end != "submitted":
            await service.approve(await person(demo.office), view.id)
            if demo.end in ("claimed", "fulfilled", "confirmed"):
                await service.claim(
                    await person(demo.claimant),
                    view.id,
                    ClaimRequest(kind=ClaimantKind(demo.kind)),
                )
            if demo.end in ("fulfilled", "confirmed"):
                await service.fulfil(
                    await person(demo.claimant), view.id, FulfilRequest(note="已上门办好")
                )
            if demo.end == "confirmed":
                confirmer = demo.poster if demo.for_resident is None else demo.office
                await service.confirm(
                    await person(confirmer), view.id, ConfirmRequest(thanks=demo.thanks)
                )
        await _move_back(session, view.id, timedelta(days=demo.days_ago))
    # The notices the demo's life wrote are history, not news: none is sent.
    await session.execute(delete(Outbox).where(Outbox.id > outbox_before))
    await session.flush()
    return len(DEMO_WISHES)


async def _move_back(session: AsyncSession, wish_id: int, by: timedelta) -> None:
    """A wish as if posted ``by`` ago, its steps a few hours to a day apart."""
    wish = await session.get(Wish, wish_id)
    assert wish is not None
    events = (
        await session.scalars(
            select(WishEvent).where(WishEvent.wish_id == wish_id).order_by(WishEvent.id)
        )
    ).all()
    # Approved within hours; claimed, done and confirmed on the following days (never
    # past now).
    start = wish.created_at - by
    offsets = (timedelta(0), timedelta(hours=3), timedelta(days=1), timedelta(days=3),
               timedelta(days=4))  # fmt: skip
    limit = wish.created_at - timedelta(minutes=5)
    stamps: dict[str, datetime] = {}
    for i, event in enumerate(events):
        event.at = min(start + offsets[min(i, len(offsets) - 1)], limit - timedelta(minutes=5 - i))
        stamps[event.action] = event.at
    wish.expires_at -= by
    wish.created_at = start
    wish.updated_at = events[-1].at
    if wish.claimed_at is not None:
        wish.claimed_at = stamps.get("claim", wish.claimed_at - by)
    if wish.fulfilled_at is not None:
        wish.fulfilled_at = stamps.get("fulfil", wish.fulfilled_at - by)
    if wish.confirmed_at is not None:
        wish.confirmed_at = stamps.get("confirm", wish.confirmed_at - by)
        hours = await session.scalar(
            select(VolunteerHours).where(
                VolunteerHours.source_type == "wish", VolunteerHours.source_id == wish_id
            )
        )
        if hours is not None:
            hours.credited_at = wish.confirmed_at
    await session.flush()
