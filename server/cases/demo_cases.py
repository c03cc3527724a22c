"""Demo cases in the demo city: about 40 cases of 登月社区 and 玉兰花园社区 over the last
eight weeks, in every state and from the channels the demo can drive (and an older one
from a need found on a visit: the visit is planned for the grid worker and recorded by
the visit service, then the case is taken in from it).

Each case is taken in and moved through its life by the real service methods as the
demo staff and residents would (so the history, versions, counts and rule checks are
the real ones); its times are then moved into the past consistently (history ``at``,
``created_at``, the step times, and ``due_at`` in working time from the created time).
The outbox rows the loading wrote are deleted: no SMS goes to demo phones.

Idempotent: skipped when the first demo case is there already.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import User
from server.accounts.services import CurrentUser, load_current_user
from server.cases.hours import periods_of
from server.cases.inbound import SMS_PROMISE_HOURS, sms_to_cases
from server.cases.messages import TEMPLATES as CASE_TEMPLATES
from server.cases.models import Case, CaseEvent, ServiceItem
from server.cases.schemas import CaseActionIn, CaseCreate
from server.cases.services import CaseService, closing_figures
from server.cases.worktime import add_working_hours
from server.db.base import utcnow
from server.grids.models import Community, Grid
from server.notify.channels.base import InboundSms
from server.notify.models import Notification as Outbox
from server.notify.outbox import LOCAL_TZ
from server.notify.templates import register_templates
from server.people.models import Resident
from server.visits.models import Condition, Visit, VisitEvent, VisitState, VisitWindow
from server.visits.schemas import VisitRecord
from server.visits.services import VisitService

__all__ = ["DEMO_CASES", "load_demo_cases"]

# Who acts, by demo account phone.
OFFICE_D, WINDOW_D, WORKER_D, SUN = "13800000003", "13800000004", "13800000005", "13800000007"
WORKER_Y, OFFICE_Y, QIAN, WINDOW_Y = "13800000008", "13800000009", "13800000011", "13800000013"


Step = tuple[float, str, str, dict[str, Any]]


@dataclass(frozen=True, slots=True)
class DemoCase:
    """One demo case: where (``D`` 登月社区 / ``Y`` 玉兰花园社区), how it came in, and its
    steps after intake as (hours after intake, action, actor phone, action fields)."""

    community: str
    channel: str
    item: str | None
    description: str
    days_ago: float
    fields: dict[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    resident: str | None = None  # window and visit intake: the resident's name
    contact: str | None = None  # hotline: the caller's bare number


def _life(
    office: str, worker: str, end: str, sat: int | None = None, note: str = ""
) -> tuple[Step, ...]:
    """The steps of an ordinary case up to ``end`` (accepted, dispatched, in_progress,
    resolved, closed, rated)."""
    steps: list[Step] = [(1, "accept", office, {})]
    if end == "accepted":
        return tuple(steps)
    steps.append((2, "dispatch", office, {"assignee_id": worker}))
    if end == "dispatched":
        return tuple(steps)
    steps.append((4, "start", worker, {}))
    if end == "in_progress":
        return tuple(steps)
    steps.append((22, "resolve", worker, {"note": note or "已现场处理完毕"}))
    if end == "resolved":
        return tuple(steps)
    steps.append((26, "close", office, {"note": "已核实"}))
    if sat is not None:
        steps.append((30, "callback", office, {"satisfaction": sat}))
    return tuple(steps)


D, Y = "登月社区", "玉兰花园社区"
DEMO_CASES: tuple[DemoCase, ...] = (
    # --- closed and rated, 登月社区 ---
    DemoCase(
        D,
        "resident_app",
        "stair_light",
        "2单元4楼楼道灯不亮快一周了，晚上上下楼很危险。",
        54,
        {"floor": 4},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已更换声控灯泡"),
    ),
    DemoCase(
        D,
        "patrol",
        "garbage",
        "小区东门垃圾桶满溢，周边有异味，清运车两天没来。",
        51,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已联系环卫公司加清一次"),
    ),
    DemoCase(
        D,
        "window",
        "residence_cert",
        "孙女上学需要开具居住证明。",
        47,
        {"purpose": "子女入学"},
        _life(OFFICE_D, WORKER_D, "closed", 1, "证明已开具并领取"),
        resident="周大爷",
    ),
    DemoCase(
        D,
        "patrol",
        "corridor_clutter",
        "3单元1楼楼道堆放旧家具和纸箱，堵住了一半通道。",
        44,
        {"floor": 1},
        _life(OFFICE_D, WORKER_D, "closed", 2, "已协助住户清理"),
    ),
    DemoCase(
        D,
        "hotline",
        "pets",
        "有人遛狗不牵绳，小孩被吓哭了，希望社区管一管。",
        40,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 2, "已上门劝导并张贴文明养犬提示"),
        contact="13700001234",
    ),
    DemoCase(
        D,
        "resident_app",
        "door_lock",
        "1单元门禁刷卡没反应，老人进出要等人开门。",
        36,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 1, "物业已更换读卡器"),
    ),
    DemoCase(
        D,
        "patrol",
        "fire_passage",
        "5号楼北侧消防通道被私家车长期占用。",
        33,
        {"urgency": "soon"},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已联系车主挪车并划线"),
    ),
    DemoCase(
        D,
        "window",
        "pension_cert",
        "老人行动不便，来窗口咨询养老金资格认证。",
        29,
        {"birth_date": "1948-03-12"},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已上门协助完成认证"),
        resident="周大爷",
    ),
    DemoCase(
        D,
        "resident_app",
        "sewer",
        "厨房下水道返水，楼下邻居也反映有异味。",
        26,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 3, "已疏通主管道"),
    ),
    DemoCase(
        D,
        "patrol",
        "elderly_checkin",
        "周大爷最近几天没下楼，电话也没人接，需要上门看看。",
        22,
        {},
        _life(OFFICE_D, WORKER_D, "closed", None, "已上门探访，老人身体无碍"),
    ),
    # --- closed and rated, 玉兰花园社区 ---
    DemoCase(
        Y,
        "resident_app",
        "ebike_charging",
        "楼道里有人飞线给电动车充电，存在火灾隐患。",
        53,
        {"urgency": "now", "floor": 2},
        _life(OFFICE_Y, WORKER_Y, "closed", 1, "已拆除飞线并引导到充电桩"),
    ),
    DemoCase(
        Y,
        "patrol",
        "garbage",
        "8号楼前建筑垃圾堆了一周没人清运。",
        49,
        {},
        _life(OFFICE_Y, WORKER_Y, "closed", 2, "已督促装修户清运"),
    ),
    DemoCase(
        Y,
        "hotline",
        "neighbour",
        "楼上深夜经常有拖动家具的噪音，沟通无果。",
        45,
        {"about": "noise", "parties": 2},
        _life(OFFICE_Y, WORKER_Y, "closed", 2, "已组织双方调解，达成作息约定"),
        contact="13700005678",
    ),
    DemoCase(
        Y,
        "window",
        "residence_cert",
        "办理居住证需要社区开具居住证明。",
        38,
        {"purpose": "办理居住证"},
        _life(OFFICE_Y, WORKER_Y, "closed", 1, "证明已开具"),
        resident="钱小红",
    ),
    DemoCase(
        Y,
        "resident_app",
        "stair_light",
        "1单元3楼楼道灯一直闪，晚上看不清台阶。",
        31,
        {"floor": 3},
        _life(OFFICE_Y, WORKER_Y, "closed", 1, "已更换灯管"),
    ),
    DemoCase(
        Y,
        "patrol",
        "pets",
        "草坪上狗粪较多，影响孩子玩耍。",
        24,
        {},
        _life(OFFICE_Y, WORKER_Y, "closed", 3, "已张贴提示并约谈养犬户"),
    ),
    DemoCase(
        Y,
        "resident_app",
        "water_pipe",
        "地下室公共水管漏水，地面积水。",
        19,
        {"floor": -1},
        _life(OFFICE_Y, WORKER_Y, "closed", None, "物业已更换破损管段"),
    ),
    # --- reopened after 不满意 (3): back in progress ---
    DemoCase(
        D,
        "resident_app",
        "roof_leak",
        "顶楼卫生间天花板漏水，下雨天滴个不停。",
        35,
        {"where": "bathroom", "floor": 6},
        (
            *_life(OFFICE_D, WORKER_D, "closed", 3, "已做临时防水处理"),
            (50, "reopen", OFFICE_D, {"reason": "居民回访不满意：下雨后仍然漏水"}),
        ),
    ),
    # --- rejected with a reason ---
    DemoCase(
        D,
        "resident_app",
        "green_space",
        "希望在楼下空地种菜。",
        30,
        {},
        ((3, "reject", OFFICE_D, {"reason": "公共绿地不能私自种菜，已电话说明"}),),
    ),
    DemoCase(
        Y,
        "hotline",
        "property_mgmt",
        "要求社区替业主追讨物业多收的停车费。",
        16,
        {"parties": 2},
        ((2, "reject", OFFICE_Y, {"reason": "属业主与物业的合同纠纷，已引导向区住建局投诉"}),),
        contact="13700009012",
    ),
    # --- resolved, waiting for the office to verify ---
    DemoCase(
        D,
        "patrol",
        "green_space",
        "小区中心绿地被人私自围栏种菜。",
        1.6,
        {},
        _life(OFFICE_D, WORKER_D, "resolved", note="已劝导拆除围栏，恢复绿地"),
    ),
    DemoCase(
        Y,
        "resident_app",
        "roof_leak",
        "楼梯间窗户漏雨，台阶湿滑。",
        1.4,
        {"where": "stairwell", "floor": 3},
        _life(OFFICE_Y, WORKER_Y, "resolved", note="已更换窗户密封条"),
    ),
    # --- in progress ---
    DemoCase(
        D,
        "window",
        "home_care",
        "独居老人申请每周两次上门保洁服务。",
        2.2,
        {"service": "cleaning"},
        _life(OFFICE_D, WORKER_D, "in_progress"),
        resident="周大爷",
    ),
    DemoCase(
        Y,
        "patrol",
        "sewer",
        "小区主干道雨水井堵塞，下雨积水。",
        1.2,
        {},
        _life(OFFICE_Y, WORKER_Y, "in_progress"),
    ),
    # --- escalated to the community (the grid could not do it), with the office now ---
    DemoCase(
        D,
        "patrol",
        "neighbour",
        "两户为楼道公共空间的使用发生争吵，网格调解未成。",
        2.8,
        {"about": "space", "parties": 2},
        (
            (1, "accept", OFFICE_D, {}),
            (2, "dispatch", OFFICE_D, {"assignee_id": WORKER_D}),
            (4, "start", WORKER_D, {}),
            (8, "escalate", WORKER_D, {"reason": "双方分歧较大，需社区组织调解"}),
            (9, "dispatch", OFFICE_D, {"assignee_id": WINDOW_D}),
        ),
    ),
    # --- overdue: dispatched long ago, not yet started ---
    DemoCase(
        D,
        "resident_app",
        "garbage",
        "楼后垃圾房门坏了，野猫翻垃圾。",
        7,
        {},
        _life(OFFICE_D, WORKER_D, "dispatched"),
    ),
    # --- dispatched ---
    DemoCase(
        Y,
        "hotline",
        "pets",
        "邻居家狗整天叫，老人休息不好。",
        0.9,
        {},
        _life(OFFICE_Y, WORKER_Y, "dispatched"),
        contact="13700003456",
    ),
    DemoCase(
        D,
        "patrol",
        "fire_passage",
        "3号楼消防通道被电动车占用。",
        0.4,
        {"urgency": "now"},
        ((0.5, "accept", OFFICE_D, {}), (1, "dispatch", OFFICE_D, {"assignee_id": WORKER_D})),
    ),
    # --- accepted ---
    DemoCase(
        D,
        "window",
        "old_age_allowance",
        "老人满80周岁，申领高龄津贴。",
        0.8,
        {"birth_date": "1946-05-20"},
        _life(OFFICE_D, WORKER_D, "accepted"),
        resident="周大爷",
    ),
    DemoCase(
        Y,
        "window",
        "job_help",
        "失业半年，想找社区附近的工作。",
        0.7,
        {},
        _life(OFFICE_Y, WORKER_Y, "accepted"),
        resident="钱小红",
    ),
    # --- received ---
    DemoCase(D, "resident_app", "stair_light", "1单元6楼楼道灯不亮。", 0.3, {"floor": 6}),
    DemoCase(
        Y, "resident_app", "corridor_clutter", "楼道里有人放了很多花盆，挡路。", 0.25, {"floor": 4}
    ),
    DemoCase(D, "hotline", "garbage", "小区西门垃圾站今天没清运。", 0.2, {}, contact="13700007890"),
    DemoCase(
        Y,
        "patrol",
        "ebike_charging",
        "车棚充电桩有两个坏了，居民只好拉线。",
        0.15,
        {"urgency": "soon"},
    ),
    DemoCase(D, "sms", None, "我家楼下的路灯坏了好几天了，请派人修一下", 0.1, resident="周大爷"),
    # --- merged: a repeat of the received stair-light report above ---
    DemoCase(
        D,
        "patrol",
        "stair_light",
        "1单元6楼楼道灯坏了（巡查发现）。",
        0.05,
        {"floor": 6},
        ((0.02, "merge", OFFICE_D, {"into": "1单元6楼楼道灯不亮。"}),),
    ),
    # --- a need found on a visit: older than the weeks the visit-coverage figures show
    # (they stay those of the planned weeks) and than this week's plan looks back ---
    DemoCase(
        D,
        "visit",
        "roof_leak",
        "走访发现：需要维修。厨房水管接口渗水，墙角发霉，老人自己修不了。",
        75,
        {"where": "kitchen", "floor": 3},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已请物业更换水管接口"),
        resident="周大爷",
    ),
    # --- more closed ones so the boards have weeks to show ---
    DemoCase(
        Y,
        "resident_app",
        "roof_leak",
        "外墙渗水，卧室墙面发霉。",
        42,
        {"where": "wall", "floor": 5},
        _life(OFFICE_Y, WORKER_Y, "closed", 2, "已联系维修基金修补外墙"),
    ),
    DemoCase(
        D,
        "patrol",
        "door_lock",
        "4单元门禁常开，陌生人随意进出。",
        12,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 1, "已修复门禁磁力锁"),
    ),
    DemoCase(
        Y,
        "patrol",
        "corridor_clutter",
        "5单元楼道堆放纸箱，存在消防隐患。",
        9,
        {"floor": 2},
        _life(OFFICE_Y, WORKER_Y, "closed", 1, "已清理"),
    ),
    DemoCase(
        D,
        "resident_app",
        "pets",
        "楼下有人在绿化带里养鸡。",
        15,
        {},
        _life(OFFICE_D, WORKER_D, "closed", 2, "已劝导移走"),
    ),
)


async def _recorded_visit(
    session: AsyncSession, worker: CurrentUser, resident: Resident, at: datetime
) -> int:
    """A visit of ``resident`` by ``worker`` at ``at``, planned as the planner writes one and
    recorded by the visit service (a need found); returns its id."""
    day = at.astimezone(LOCAL_TZ).date()
    visit = Visit(
        resident_id=resident.id,
        source="care",
        due_by=day,
        state=VisitState.planned,
        version=1,
        person_user_id=worker.id,
        visit_date=day,
        window=VisitWindow.noon,
        position=1,
        arrive_at="12:10",
        **Visit.placed_in(resident),
        created_at=at - timedelta(days=3),
        updated_at=at - timedelta(days=3),
    )
    session.add(visit)
    await session.flush()
    session.add(
        VisitEvent(
            visit_id=visit.id,
            at=at - timedelta(days=3),
            actor_user_id=worker.id,
            action="plan",
            to_state=VisitState.planned,
            detail={"week": (day - timedelta(days=day.weekday())).isoformat()},
        )
    )
    await VisitService(session).record(
        worker,
        visit.id,
        VisitRecord(
            condition=Condition.fair,
            needs=["维修"],
            notes="厨房水管接口渗水，墙角发霉。",
            visited_at=at,
            expected_version=1,
        ),
    )
    await session.execute(
        update(VisitEvent)
        .where(VisitEvent.visit_id == visit.id, VisitEvent.action == "record")
        .values(at=at)
    )
    await session.execute(update(Visit).where(Visit.id == visit.id).values(updated_at=at))
    return visit.id


async def load_demo_cases(session: AsyncSession) -> int:
    """Take in and work the demo cases (once); returns how many were added."""
    if await session.scalar(
        select(Case.id).where(Case.description == DEMO_CASES[0].description).limit(1)
    ):
        return 0
    register_templates("case", CASE_TEMPLATES)  # as the app does at start (the CLI has not)
    outbox_before = await session.scalar(select(func.max(Outbox.id))) or 0
    users = {u.phone: u for u in (await session.scalars(select(User))).all()}
    people: dict[str, CurrentUser] = {}

    async def person(phone: str) -> CurrentUser:
        if phone not in people:
            loaded = await load_current_user(session, users[phone].id)
            assert loaded is not None
            people[phone] = loaded
        return people[phone]

    grids: dict[str, Grid] = {}
    for name in (D, Y):
        grid = await session.scalar(
            select(Grid)
            .join(Community, Community.id == Grid.community_id)
            .where(Community.name == name)
            .order_by(Grid.code)
            .limit(1)
        )
        assert grid is not None
        grids[name] = grid
    periods = await periods_of(session, [g.community_id for g in grids.values()])
    items = (
        await session.execute(select(ServiceItem.id, ServiceItem.code, ServiceItem.deadline_hours))
    ).all()
    hours = {item_id: h for item_id, _, h in items}
    hours_by_code = {code: h for _, code, h in items}
    service = CaseService(session)
    now = utcnow()
    by_description: dict[str, Case] = {}
    merged_in: list[tuple[int, datetime]] = []
    for demo in sorted(DEMO_CASES, key=lambda c: -c.days_ago):
        grid = grids[demo.community]
        # Older cases come in in the morning of their day; recent ones hours ago.
        if demo.days_ago >= 2:
            day = (now - timedelta(days=demo.days_ago)).astimezone(LOCAL_TZ)
            start = day.replace(
                hour=9, minute=10 + int(demo.days_ago) % 40, second=0, microsecond=0
            )
        else:
            start = now - timedelta(days=demo.days_ago)
        resident = None
        if demo.resident is not None:
            resident = await session.scalar(
                select(Resident)
                .where(Resident.name == demo.resident)
                .order_by(Resident.id)
                .limit(1)
            )
            assert resident is not None
        if demo.channel == "sms":
            assert resident is not None and resident.phone
            await sms_to_cases(
                session, InboundSms(phone=resident.phone, text=demo.description, provider="smpp")
            )
            case = await session.scalar(
                select(Case).where(Case.description == demo.description).order_by(Case.id.desc())
            )
            assert case is not None
        else:
            visit_id = None
            if demo.channel == "visit":
                assert resident is not None
                worker = await person(WORKER_D if demo.community == D else WORKER_Y)
                visit_id = await _recorded_visit(session, worker, resident, start)
            reporter = {
                "visit": WORKER_D if demo.community == D else WORKER_Y,
                "resident_app": SUN if demo.community == D else QIAN,
                "patrol": WORKER_D if demo.community == D else WORKER_Y,
                "window": WINDOW_D if demo.community == D else WINDOW_Y,
                "hotline": WINDOW_D if demo.community == D else WINDOW_Y,
            }[demo.channel]
            assert demo.item is not None
            view = await service.report(
                await person(reporter),
                CaseCreate(
                    item=demo.item,
                    description=demo.description,
                    channel=demo.channel,  # type: ignore[arg-type]
                    fields=demo.fields,
                    grid_code=grid.code if demo.channel in ("patrol", "hotline") else None,
                    resident_id=resident.id if demo.channel == "window" and resident else None,
                    consent_note="居民本人到窗口口头同意代为登记"
                    if demo.channel == "window"
                    else None,
                    contact_phone=demo.contact,
                    visit_id=visit_id,
                ),
            )
            case = await session.get(Case, view.id)
            assert case is not None
        by_description[demo.description] = case
        times = [start]
        # Most cases are resolved within their item's working time, at three quarters of
        # it; one in five takes the steps' own pace, late for items with short deadlines.
        resolve_after = next((a for a, act, _, _ in demo.steps if act == "resolve"), None)
        allowed = hours_by_code.get(demo.item or "", SMS_PROMISE_HOURS)
        pace = (
            min(1.0, 0.75 * allowed / resolve_after)
            if resolve_after and DEMO_CASES.index(demo) % 5
            else 1.0
        )
        for after, action, phone, args in demo.steps:
            # Staff work in working time; a recent case's steps are hours apart.
            at = (
                add_working_hours(start, after * pace, periods[grid.community_id])
                if demo.days_ago >= 2
                else start + timedelta(hours=after * pace)
            )
            at = min(at, now - timedelta(minutes=len(demo.steps) - len(times) + 1))
            times.append(at)
            body = dict(args)
            if "assignee_id" in body:
                body["assignee_id"] = users[body["assignee_id"]].id
            if "into" in body:
                body["into_case_id"] = by_description[body.pop("into")].id
                merged_in.append((body["into_case_id"], at))
            await service.perform(await person(phone), case.id, action, CaseActionIn(**body))
        events = (
            await session.scalars(
                select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
            )
        ).all()
        stamps: dict[str, datetime] = {}
        for event, at in zip(events, times, strict=True):
            event.at = at
            stamps[event.action] = at
        await session.refresh(case)
        deadline = hours.get(case.item_id, SMS_PROMISE_HOURS) if case.item_id else SMS_PROMISE_HOURS
        case.created_at = start
        case.updated_at = times[-1]
        case.due_at = add_working_hours(start, deadline, periods[case.community_id])
        if case.accepted_at is not None:
            case.accepted_at = stamps["accept"]
        if case.resolved_at is not None:
            case.resolved_at = stamps["resolve"]
        if case.closed_at is not None:
            case.closed_at = stamps["close"]
            # The board's figures follow the back-dated history.
            for key, value in closing_figures(
                case, case.closed_at, periods[case.community_id]
            ).items():
                setattr(case, key, value)
        await session.flush()
    for into_id, at in merged_in:
        await session.execute(
            update(CaseEvent)
            .where(CaseEvent.case_id == into_id, CaseEvent.action == "merged_in")
            .values(at=at)
        )
    # The notices the demo's life wrote are history, not news: none is sent.
    await session.execute(delete(Outbox).where(Outbox.id > outbox_before))
    await session.flush()
    return len(DEMO_CASES)
