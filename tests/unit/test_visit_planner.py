"""The weekly visit planner (server/visits/planner.py): hand-made cases and a generated community."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import msgspec
import pytest

from server.lib.i18n import translate
from server.visits.planner import (
    Changes,
    DueVisit,
    Person,
    PersonKind,
    Plan,
    PlannerOptions,
    Reason,
    Slot,
    Window,
    default_windows,
    plan_week,
    replan,
    walking_metres,
)
from tests.support.visit_community import MONDAY, OFFICE, generate

FAST = PlannerOptions(solution_limit=30, time_limit_s=10, workers=1)
WEEK = frozenset(MONDAY + timedelta(days=d) for d in range(7))
BOTH = ("noon", "evening")


def every(
    days: frozenset[date] = WEEK, windows: tuple[str, ...] = BOTH
) -> frozenset[tuple[date, str]]:
    return frozenset((d, w) for d in days for w in windows)


def worker(pid: str = "w1", grid: str = "g1", **kw: object) -> Person:
    kw.setdefault("availability", every())
    return Person(id=pid, kind=PersonKind.GRID_WORKER, grids=frozenset({grid}), **kw)  # type: ignore[arg-type]


def visit(vid: str, k: int = 0, grid: str = "g1", **kw: object) -> DueVisit:
    """A household ``k`` steps of ~50 m east of the office, building code by step."""
    kw.setdefault("days", WEEK)
    return DueVisit(  # type: ignore[arg-type]
        id=vid,
        household=f"h-{vid}",
        point=(OFFICE[0] + 0.00055 * k, OFFICE[1] + 0.0002 * (k % 2)),
        grid=grid,
        building=f"{grid}-{k:03d}",
        **kw,
    )


def check_invariants(plan: Plan, visits: list[DueVisit], people: list[Person]) -> None:
    """What must hold for any plan: every visit accounted for, no slot over its limits."""
    windows = {w.name: w for w in default_windows()}
    by_person = {p.id: p for p in people}
    by_visit = {v.id: v for v in visits}
    planned = [p.visit for p in plan.planned]
    unplanned = [u.visit for u in plan.unplanned]
    assert len(planned) == len(set(planned))
    assert sorted(planned + unplanned + list(plan.done)) == sorted(by_visit)
    assert all(by_visit[d].done for d in plan.done)
    per_slot = Counter(p.slot for p in plan.planned)
    for slot, n in per_slot.items():
        person = by_person[slot.person]
        assert n <= person.capacity, slot
        assert (slot.day, slot.window) in person.availability, slot
    for p in plan.planned:
        v = by_visit[p.visit]
        w = windows[p.slot.window]
        end = (
            datetime.combine(p.slot.day, p.arrival) + timedelta(minutes=v.minutes_on_site)
        ).time()
        assert w.start <= p.arrival and end <= w.end, p
        if v.fixed is not None:
            assert p.slot == v.fixed
        else:
            assert p.slot.day in v.days
        if v.paired_with is not None and v.fixed is None:
            assert p.slot.person == v.paired_with
    for route in plan.routes:
        stops = [p for p in plan.planned if p.slot == route.slot]
        assert [p.visit for p in sorted(stops, key=lambda p: p.order)] == list(route.visits)


def seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def test_paired_household_goes_to_its_party_member() -> None:
    member = Person(
        id="pm1", kind=PersonKind.PARTY_MEMBER, availability=frozenset({(MONDAY, "evening")})
    )
    people = [worker(), member]
    visits = [visit("a", 1, paired_with="pm1"), visit("b", 2)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    slots = {p.visit: p.slot for p in plan.planned}
    assert slots["a"] == Slot("pm1", MONDAY, "evening")
    assert slots["b"].person == "w1"


def test_fixed_visit_stays_where_the_office_put_it() -> None:
    people = [worker(), worker("w2")]
    fixed = Slot("w2", MONDAY + timedelta(days=4), "evening")
    visits = [visit("f", 3, fixed=fixed), *(visit(f"v{i}", i) for i in range(5))]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert next(p.slot for p in plan.planned if p.visit == "f") == fixed


def test_capacity_is_never_exceeded_and_the_rest_is_over_capacity() -> None:
    one_slot = frozenset({(MONDAY, "evening")})
    people = [worker(availability=one_slot, capacity=3)]
    visits = [visit(f"v{i}", i) for i in range(7)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert len(plan.planned) == 3
    assert {u.reason for u in plan.unplanned} == {Reason.OVER_CAPACITY}
    assert len(plan.unplanned) == 4


def test_nobody_works_outside_availability_or_window() -> None:
    avail = frozenset({(MONDAY, "noon"), (MONDAY + timedelta(days=2), "evening")})
    people = [worker(availability=avail)]
    visits = [visit(f"v{i}", i) for i in range(8)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert {(p.slot.day, p.slot.window) for p in plan.planned} <= avail
    assert len(plan.planned) == 8


def test_window_time_is_the_limit_not_only_capacity() -> None:
    # noon is 2 hours: four 25-minute visits in one building fit, a fifth would end at 14:05
    people = [worker(availability=frozenset({(MONDAY, "noon")}), capacity=10)]
    visits = [visit(f"v{i}", 0, minutes_on_site=25) for i in range(6)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert len(plan.planned) == 4
    assert {u.reason for u in plan.unplanned} == {Reason.OVER_CAPACITY}


def test_preferred_window_is_honoured() -> None:
    people = [worker()]
    visits = [
        visit("n", 1, preferred_window="noon"),
        visit("e", 2, preferred_window="evening"),
        visit("x", 3),
    ]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    slots = {p.visit: p.slot for p in plan.planned}
    assert slots["n"].window == "noon"
    assert slots["e"].window == "evening"


def test_grid_with_no_worker_is_reported() -> None:
    people = [worker(grid="g1")]
    visits = [visit("a", 1, grid="g1"), visit("b", 2, grid="g2")]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    (u,) = plan.unplanned
    assert (u.visit, u.reason) == ("b", Reason.NO_ONE_SERVES_GRID)
    assert "g2" in u.message
    assert translate(u.source, "zh_Hans", **u.params) == "没有网格员或社区工作人员负责网格 g2"


def test_reasons_no_window_paired_member_fixed_slot_and_too_long() -> None:
    weekend = frozenset(d for d in WEEK if d.weekday() >= 5)
    member = Person(id="pm1", kind=PersonKind.PARTY_MEMBER, availability=every(weekend))
    people = [worker(availability=every(weekend)), member]
    weekdays = frozenset(WEEK - weekend)
    visits = [
        visit("no-window", 1, days=weekdays),
        visit("paired", 2, days=weekdays, paired_with="pm1"),
        visit("fixed-absent", 3, fixed=Slot("w1", MONDAY, "noon")),
        visit("too-long", 4, minutes_on_site=200),
        visit("ok", 5),
    ]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    reasons = {u.visit: u.reason for u in plan.unplanned}
    assert reasons == {
        "no-window": Reason.NO_AVAILABLE_WINDOW,
        "paired": Reason.PAIRED_MEMBER_UNAVAILABLE,
        "fixed-absent": Reason.FIXED_SLOT_UNAVAILABLE,
        "too-long": Reason.TOO_LONG_FOR_WINDOW,
    }
    assert [p.visit for p in plan.planned] == ["ok"]


def test_two_visits_fixed_to_a_full_slot() -> None:
    slot = Slot("w1", MONDAY, "noon")
    people = [worker(capacity=1)]
    visits = [visit("a", 1, fixed=slot), visit("b", 2, fixed=slot), visit("c", 3)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    (full,) = plan.unplanned
    assert full.reason == Reason.FIXED_SLOT_FULL and full.visit in {"a", "b"}
    kept = ({"a", "b"} - {full.visit}).pop()
    assert {p.visit: p.slot for p in plan.planned}[kept] == slot


def test_arrivals_include_walking_and_minutes_on_site() -> None:
    people = [worker(availability=frozenset({(MONDAY, "evening")}))]
    visits = [visit(f"v{i}", 3 * i, minutes_on_site=15) for i in range(5)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    (route,) = plan.routes
    stops = sorted(plan.planned, key=lambda p: p.order)
    points = {v.id: v.point for v in visits}
    assert stops[0].arrival == time(18, 0)  # no start point: the walk starts at the first door
    for a, b in pairwise(stops):
        walk_s = walking_metres(points[a.visit], points[b.visit]) / (4500 / 3600)
        assert seconds(b.arrival) - seconds(a.arrival) >= 15 * 60 + walk_s - 1
    # a line of houses is walked end to end, not back and forth
    assert route.walking_m <= route.baseline_m


def test_staff_take_what_grid_workers_cannot_and_start_at_the_office() -> None:
    staff = Person(
        id="s1",
        kind=PersonKind.COMMUNITY_STAFF,
        availability=frozenset({(MONDAY, "noon")}),
        start=OFFICE,
    )
    people = [worker(availability=frozenset({(MONDAY, "evening")}), capacity=2), staff]
    visits = [visit(f"v{i}", i) for i in range(4)] + [visit("other", 9, grid="g2")]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert not plan.unplanned
    assert plan.visits_per_person == {"w1": 2, "s1": 3}
    staff_route = next(r for r in plan.routes if r.slot.person == "s1")
    first = next(p for p in plan.planned if p.slot.person == "s1" and p.order == 1)
    assert first.arrival > time(12, 0)  # walked from the office
    assert staff_route.walking_m > 0


def test_visit_fixed_to_community_staff_and_a_worker_with_two_grids() -> None:
    staff = Person(id="s1", kind=PersonKind.COMMUNITY_STAFF, availability=every(), start=OFFICE)
    two_grids = Person(
        id="w1",
        kind=PersonKind.GRID_WORKER,
        grids=frozenset({"g1", "g2"}),
        availability=every(frozenset({MONDAY})),
        capacity=4,
    )
    people = [two_grids, staff]
    fixed = Slot("s1", MONDAY + timedelta(days=6), "noon")
    visits = [
        visit("f", 1, fixed=fixed),
        *(visit(f"a{i}", i, grid="g1") for i in range(4)),
        *(visit(f"b{i}", i + 4, grid="g2") for i in range(4)),
    ]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert not plan.unplanned
    assert {p.visit: p.slot for p in plan.planned}["f"] == fixed
    # one capacity-4 worker in two windows takes all 8 of both grids, staff none of them
    assert plan.visits_per_person == {"w1": 8, "s1": 1}


def test_load_spreads_over_two_workers_of_one_grid() -> None:
    people = [worker("w1"), worker("w2")]
    visits = [visit(f"v{i}", i % 6) for i in range(24)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert len(plan.planned) == 24
    low, _, high = plan.load_spread()
    assert high - low <= 6, plan.visits_per_person


def test_done_visits_are_left_out() -> None:
    people = [worker()]
    visits = [visit("done", 1, done=True), visit("todo", 2)]
    plan = plan_week(visits, people, options=FAST)
    check_invariants(plan, visits, people)
    assert plan.done == ("done",)
    assert [p.visit for p in plan.planned] == ["todo"]


def test_same_input_same_plan() -> None:
    people = [worker("w1"), worker("w2")]
    visits = [visit(f"v{i}", i % 9, preferred_window=BOTH[i % 3 % 2]) for i in range(30)]
    assert plan_week(visits, people, options=FAST) == plan_week(visits, people, options=FAST)


def test_replan_keeps_done_and_fixed_visits() -> None:
    people = [worker("w1"), worker("w2")]
    fixed = Slot("w1", MONDAY + timedelta(days=3), "noon")
    visits = [visit("fixed", 4, fixed=fixed), *(visit(f"v{i}", i) for i in range(16))]
    before = plan_week(visits, people, options=FAST)
    check_invariants(before, visits, people)
    done = {p.visit for p in before.planned if p.slot.day == MONDAY}
    moved_to = Slot("w2", MONDAY + timedelta(days=5), "evening")
    changes = Changes(
        absent=frozenset({("w1", MONDAY + timedelta(days=1))}),
        moved={"v15": moved_to},
        done=frozenset(done),
    )
    after = replan(before, visits, people, changes, options=FAST)
    assert set(after.done) == done
    slots = {p.visit: p.slot for p in after.planned}
    assert slots["fixed"] == fixed
    assert slots["v15"] == moved_to
    assert not any(s.person == "w1" and s.day == MONDAY + timedelta(days=1) for s in slots.values())
    assert len(slots) + len(done) == len(visits)
    # what the changes did not touch stays where it was
    was = {p.visit: p.slot for p in before.planned}
    untouched = [
        v
        for v, slot in was.items()
        if v not in done and v != "v15" and (slot.person, slot.day) not in changes.absent
    ]
    assert untouched
    assert all(slots[v] == was[v] for v in untouched)


def test_replan_mid_week_plans_nothing_in_the_past() -> None:
    people = [worker()]
    visits = [visit(f"v{i}", i) for i in range(10)]
    before = plan_week(visits, people, options=FAST)
    wednesday = MONDAY + timedelta(days=2)
    assert any(p.slot.day < wednesday for p in before.planned)
    done = frozenset(p.visit for p in before.planned if p.slot.day < wednesday)
    changes = Changes(from_day=wednesday, done=done - {"v0"})
    after = replan(before, visits, people, changes, options=FAST)
    marked = [msgspec.structs.replace(v, done=v.id in changes.done) for v in visits]
    check_invariants(after, marked, people)
    assert all(p.slot.day >= wednesday for p in after.planned)
    if "v0" in done:  # not done after all: planned again, later
        assert any(p.visit == "v0" for p in after.planned)


def test_replan_without_changes_changes_nothing() -> None:
    community = generate(seed=3, households=400)
    options = PlannerOptions(solution_limit=30, workers=1)
    before = plan_week(community.visits, community.people, options=options)
    after = replan(before, community.visits, community.people, Changes(), options=options)
    assert {p.visit: p.slot for p in after.planned} == {p.visit: p.slot for p in before.planned}


@pytest.fixture(scope="module")
def community_plan() -> tuple[Plan, list[DueVisit], list[Person]]:
    community = generate(seed=7, households=1600)
    plan = plan_week(
        community.visits, community.people, options=PlannerOptions(solution_limit=30, workers=2)
    )
    return plan, community.visits, community.people


def test_generated_community_every_visit_planned_or_explained(
    community_plan: tuple[Plan, list[DueVisit], list[Person]],
) -> None:
    plan, visits, people = community_plan
    assert 450 <= len(visits) <= 750
    check_invariants(plan, visits, people)
    assert all(u.message for u in plan.unplanned)
    assert len(plan.planned) > len(visits) // 2


def test_generated_community_walks_no_more_than_building_order(
    community_plan: tuple[Plan, list[DueVisit], list[Person]],
) -> None:
    plan, _, _ = community_plan
    ratio = plan.walking_m / plan.baseline_m
    print(f"walking {plan.walking_m} m vs building order {plan.baseline_m} m: ratio {ratio:.3f}")
    assert plan.walking_m <= plan.baseline_m


def test_generated_community_plan_does_not_depend_on_processes(
    community_plan: tuple[Plan, list[DueVisit], list[Person]],
) -> None:
    plan, visits, people = community_plan
    serial = plan_week(visits, people, options=PlannerOptions(solution_limit=30, workers=1))
    assert serial == plan


def test_custom_windows() -> None:
    windows = (Window(name="noon", start=time(11, 30), end=time(12, 30)),)
    people = [worker(availability=frozenset({(MONDAY, "noon")}))]
    visits = [visit(f"v{i}", 0) for i in range(4)]
    plan = plan_week(visits, people, windows=windows, options=FAST)
    assert len(plan.planned) == 3  # 3 × 20 min in one hour
    assert all(time(11, 30) <= p.arrival < time(12, 30) for p in plan.planned)
