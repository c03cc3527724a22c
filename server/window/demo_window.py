"""The demo city's service-centre windows: 玉兰花园社区's eleven (the article's hall, from
party building to labour and social security) and four at 登月社区, and an ID number for
one 登月社区 resident so the window can find him by the card he hands over. Loaded once:
a community that has windows is left as it is."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.grids.models import Community
from server.people.models import Resident
from server.window.models import ServiceWindow

__all__ = ["DEMO_ID_NUMBER", "load_demo_windows"]

# 周大爷's (made-up) ID number: region 410902, born 1948-03-15, a valid check digit.
DEMO_ID_NUMBER = "41090219480315123X"

WINDOWS: dict[str, list[tuple[str, list[str]]]] = {
    "玉兰花园社区": [
        ("社区党建", []),
        ("劳动保障", ["social_security"]),
        ("医疗保障", ["medical_insurance"]),
        ("民政救助", ["civil_affairs"]),
        ("养老服务", ["elderly_care"]),
        ("残疾人服务", ["disability"]),
        ("证明开具", ["certificates"]),
        ("矛盾调解", ["disputes"]),
        ("房屋与环境", ["housing_repair", "sanitation"]),
        ("平安建设", ["public_safety"]),
        ("综合受理", []),
    ],
    "登月社区": [
        ("综合受理", []),
        ("社会保障", ["social_security", "medical_insurance"]),
        ("民政与养老", ["civil_affairs", "elderly_care", "disability"]),
        ("证明开具", ["certificates"]),
    ],
}


async def load_demo_windows(session: AsyncSession) -> None:
    for name, windows in WINDOWS.items():
        community = await session.scalar(select(Community).where(Community.name == name))
        if community is None:
            continue
        if await session.scalar(
            select(ServiceWindow.id).where(ServiceWindow.community_id == community.id).limit(1)
        ):
            continue
        for number, (title, categories) in enumerate(windows, start=1):
            session.add(
                ServiceWindow(
                    number=number,
                    name=title,
                    categories=categories,
                    **ServiceWindow.placed_in(community),
                )
            )
    zhou = await session.scalar(
        select(Resident).where(Resident.name == "周大爷", Resident.id_number_sealed.is_(None))
    )
    if zhou is not None:
        zhou.set_id_number(DEMO_ID_NUMBER)
    await session.flush()
