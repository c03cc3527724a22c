"""登月社区's commitments for 2026 and the two evaluations of its first half-year, so the
demo's public 三公开 page is not empty. Loaded once: nothing is added when the community
has commitments for that year already."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.disclosure.models import (
    Commitment,
    CommitmentStatus,
    Evaluation,
    EvaluationKind,
    Grade,
    Period,
)
from server.grids.models import Community

__all__ = ["load_demo_disclosure"]

COMMUNITY = "登月社区"
YEAR = 2026

# title, target, due, status, progress note; each as (简体, 繁體, English)
_T = tuple[str, str, str]
COMMITMENTS: list[tuple[_T, _T, date, CommitmentStatus, _T]] = [
    (
        ("老旧楼院加装电梯", "老舊樓院加裝電梯", "Lifts for old residential blocks"),
        ("完成 3 部电梯加装", "完成 3 部電梯加裝", "3 lifts installed"),
        date(2026, 10, 31),
        CommitmentStatus.in_progress,
        (
            "2 部已通过业主表决，1 部正在施工",
            "2 部已通過業主表決，1 部正在施工",
            "2 approved by the owners, 1 under construction",
        ),
    ),
    (
        ("民意快线诉求按时办结", "民意快線訴求按時辦結", "Service cases closed on time"),
        ("按时办结率不低于 95%", "按時辦結率不低於 95%", "At least 95% closed on time"),
        date(2026, 12, 31),
        CommitmentStatus.in_progress,
        ("按月在本页公开办理情况", "按月在本頁公開辦理情況", "Published on this page every month"),
    ),
    (
        ("独居老人错时走访", "獨居老人錯時走訪", "Staggered-hour visits to elders living alone"),
        ("每人每月至少走访 2 次", "每人每月至少走訪 2 次", "At least 2 visits a month each"),
        date(2026, 12, 31),
        CommitmentStatus.in_progress,
        ("结对帮扶已覆盖全部网格", "結對幫扶已覆蓋全部網格", "Care pairs now cover every grid"),
    ),
    (
        ("楼道照明全覆盖", "樓道照明全覆蓋", "Stairway lighting everywhere"),
        ("更换声控灯 120 盏", "更換聲控燈 120 盞", "120 sound-activated lamps replaced"),
        date(2026, 6, 30),
        CommitmentStatus.achieved,
        ("已更换 126 盏，提前完成", "已更換 126 盞，提前完成", "126 replaced, ahead of time"),
    ),
    (
        ("微心愿认领", "微心願認領", "Micro-wishes fulfilled"),
        ("全年实现微心愿 60 个", "全年實現微心願 60 個", "60 micro-wishes fulfilled in the year"),
        date(2026, 12, 31),
        CommitmentStatus.delayed,
        (
            "上半年完成 21 个，下半年加大认领宣传",
            "上半年完成 21 個，下半年加大認領宣傳",
            "21 by mid-year; more publicity for claiming in the second half",
        ),
    ),
]

# kind, grade, score, respondents, note
EVALUATIONS: list[tuple[EvaluationKind, Grade, int | None, int | None, _T]] = [
    (
        EvaluationKind.residents,
        Grade.fairly_good,
        88,
        312,
        (
            "问卷调查 312 户；满意度较高，停车难反映较多",
            "問卷調查 312 戶；滿意度較高，停車難反映較多",
            "Survey of 312 households; mostly satisfied, parking the most common complaint",
        ),
    ),
    (
        EvaluationKind.superior,
        Grade.good,
        92,
        None,
        (
            "街道党工委考评：网格服务扎实，诉求办理及时",
            "街道黨工委考評：網格服務紮實，訴求辦理及時",
            "Sub-district review: solid grid service, cases handled promptly",
        ),
    ),
]


def _i18n(t: _T) -> dict[str, str]:
    return {"zh_Hant": t[1], "en": t[2]}


async def load_demo_disclosure(session: AsyncSession) -> int:
    """Add the demo commitments and evaluations (once); returns how many rows were added."""
    community = await session.scalar(select(Community).where(Community.name == COMMUNITY))
    if community is None:
        return 0
    if await session.scalar(
        select(Commitment.id)
        .where(Commitment.community_id == community.id, Commitment.year == YEAR)
        .limit(1)
    ):
        return 0
    place = Commitment.placed_in(community)
    for position, (title, target, due, status, note) in enumerate(COMMITMENTS):
        session.add(
            Commitment(
                **place,
                year=YEAR,
                position=position,
                title=title[0],
                title_i18n=_i18n(title),
                target=target[0],
                target_i18n=_i18n(target),
                due_date=due,
                status=status,
                progress_note=note[0],
                progress_note_i18n=_i18n(note),
            )
        )
    added = len(COMMITMENTS)
    for kind, grade, score, respondents, note in EVALUATIONS:
        if await session.scalar(
            select(Evaluation.id).where(
                Evaluation.community_id == community.id,
                Evaluation.year == YEAR,
                Evaluation.period == Period.h1,
                Evaluation.kind == kind,
            )
        ):
            continue
        session.add(
            Evaluation(
                **Evaluation.placed_in(community),
                year=YEAR,
                period=Period.h1,
                kind=kind,
                grade=grade,
                score=score,
                respondents=respondents,
                note=note[0],
                note_i18n=_i18n(note),
            )
        )
        added += 1
    await session.flush()
    return added
