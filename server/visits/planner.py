"""Weekly plan of staggered-hour home visits (错时服务): who visits whom, when, in what order.

A pure, database-free planning core. Input: the visits due this week, the people who may
make them and the community's windows; output: a :class:`Plan` in which every due visit is
either planned (person, date, window, order, arrival) or reported with a reason.

**Walking.** There is no road network offline, so walking distance between two points is
the great-circle (haversine) distance times :data:`DETOUR_FACTOR` (streets are not
straight), walked at :data:`WALK_SPEED_KMH`. Both constants live here and nowhere else.

**Model.** A vehicle-routing problem with time windows solved by OR-Tools' routing
library. Each "vehicle" is a *slot*: one (person, date, window) a person is available in.
Times are seconds since midnight; a slot's route starts no earlier than its window's start
and its last visit ends (arrival + minutes on site) no later than its window's end. A count
dimension caps visits per slot at the person's capacity, with a soft bound at the fair
share so load spreads over slots and people. Who may make which visit is
the domain of its vehicle variable (grid, pairing 结对帮扶, allowed days, a fixed slot);
a preferred window is soft (a cost on the other window's vehicles) so it never makes a
visit unplannable. Every visit is optional behind a large disjunction penalty (a fixed
visit behind a far larger one), so the model is always feasible; each dropped visit is then
explained by :func:`_reason`. A route starts at the person's start point (the community
office) when given, else at its first household (a zero-cost dummy depot); it ends at the
last household.

**Decomposition.** Grid workers and paired party members are planned first, one model per
*component*: grids joined by anyone who serves more than one of them (a grid worker with
two grids, a party member paired with households in two grids), so no person's slot is in
two models and the models are independent (they run in parallel processes). Community
staff serve every grid, which would join everything into one large model; instead they take
the leftovers in a second pass — one model over all grids with only staff slots — so staff
back up the grid workers rather than compete with them, as the 3334 model intends (grid
worker first, community staff as the grid service group's lead).

**Re-planning** (:func:`replan`) removes absent people's slots and those of days that are
over, turns visits moved by hand into fixed ones and done ones into excluded ones, then
solves again starting from the previous plan's routes, with a cost per visit moved off its
old slot: households already told their day keep it unless a change forces a move.

**Done visits** are excluded: never re-planned, and they take no capacity (a done visit
happened in a past window, or early; either way it no longer needs a slot). They are listed
in :attr:`Plan.done`.

**Search.** Each model starts from a savings (Clarke & Wright) solution, descends greedily
to a local optimum, then runs guided local search for a number of solutions
(:attr:`PlannerOptions.solution_limit`). A model is offered at most
:data:`_OFFER_FACTOR` × its slots' capacity in visits, the most urgent first: the rest would
be over capacity anyway, and the search time grows much faster than the model.

**Determinism.** The descent ends at a local optimum and guided local search at a solution
count, both deterministic; the time limit is a safety net only. Inputs are sorted before
models are built, and the models do not depend on how they are spread over processes. The
plan is the same for the same input unless a time limit is hit.
"""

from __future__ import annotations

import enum
import math
import multiprocessing
import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import date, time
from itertools import pairwise
from statistics import median

import msgspec
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from server.lib.i18n import N_

__all__ = [
    "DETOUR_FACTOR",
    "WALK_SPEED_KMH",
    "Changes",
    "DueVisit",
    "Person",
    "PersonKind",
    "Plan",
    "PlannedVisit",
    "PlannerOptions",
    "Reason",
    "Route",
    "Slot",
    "Unplanned",
    "Window",
    "default_windows",
    "plan_week",
    "replan",
    "walking_metres",
]

DETOUR_FACTOR = 1.3
"""Walking distance / great-circle distance: streets and building entrances are not straight."""
WALK_SPEED_KMH = 4.5
"""An ordinary walking pace, with a bag and stairs left to the minutes on site."""
EARTH_RADIUS_M = 6_371_008.8

_DROP_PENALTY = 10_000_000  # metres-equivalent for leaving a visit unplanned
_FIXED_DROP_PENALTY = 1_000_000_000  # a hand-fixed visit is dropped only if it cannot fit at all
_OFF_PREFERENCE_COST = 2_000  # metres-equivalent for a visit outside its preferred window
_OVER_FAIR_SHARE_COST = 400  # metres-equivalent per visit above a slot's fair share
_MOVE_COST = 1_500  # metres-equivalent, when re-planning, per visit moved to another slot
_OFFER_FACTOR = 1.5  # a model gets at most this many times its slots' capacity in visits
_DAY_S = 24 * 3600


class PersonKind(enum.StrEnum):
    GRID_WORKER = "grid_worker"
    COMMUNITY_STAFF = "community_staff"
    PARTY_MEMBER = "party_member"


class Reason(enum.StrEnum):
    """Why a due visit is not in the plan."""

    NO_ONE_SERVES_GRID = "no_one_serves_grid"
    NO_AVAILABLE_WINDOW = "no_available_window"
    OVER_CAPACITY = "over_capacity"
    PAIRED_MEMBER_UNAVAILABLE = "paired_member_unavailable"
    FIXED_SLOT_UNAVAILABLE = "fixed_slot_unavailable"
    FIXED_SLOT_FULL = "fixed_slot_full"
    TOO_LONG_FOR_WINDOW = "too_long_for_window"


# English source texts, marked for the catalogs: the API translates them with the params
_MESSAGES = {
    Reason.NO_ONE_SERVES_GRID: N_("No grid worker or community staff member serves grid {grid}"),
    Reason.NO_AVAILABLE_WINDOW: N_(
        "Nobody who may visit is available on an allowed day and window"
    ),
    Reason.OVER_CAPACITY: N_(
        "Everyone who may visit is fully booked in the windows they could use"
    ),
    Reason.PAIRED_MEMBER_UNAVAILABLE: N_(
        "The paired party member {person} is not available on an allowed day"
    ),
    Reason.FIXED_SLOT_UNAVAILABLE: N_(
        "The office fixed it to {person} on {slot}, who is not available then"
    ),
    Reason.FIXED_SLOT_FULL: N_(
        "The office fixed it to {person} on {slot}, whose window is already full"
    ),
    Reason.TOO_LONG_FOR_WINDOW: N_("Its minutes on site do not fit in any window"),
}


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """A daily visiting window, local time."""

    name: str
    start: time
    end: time

    @property
    def seconds(self) -> tuple[int, int]:
        return _seconds(self.start), _seconds(self.end)


def default_windows() -> tuple[Window, ...]:
    """Noon 12:00–14:00 and evening 18:00–21:00, when people are at home."""
    return (
        Window(name="noon", start=time(12, 0), end=time(14, 0)),
        Window(name="evening", start=time(18, 0), end=time(21, 0)),
    )


class Slot(msgspec.Struct, frozen=True, order=True):
    """One person in one window of one day: a route, the solver's vehicle."""

    person: str
    day: date
    window: str


Point = tuple[float, float]
"""(longitude, latitude), WGS 84."""


class DueVisit(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    household: str
    point: Point
    grid: str
    building: str
    """Building code: the order of the baseline walk (building by building)."""
    days: frozenset[date]
    """The dates it may happen on (due by Thursday → Monday to Thursday)."""
    minutes_on_site: int = 20
    preferred_window: str | None = None
    paired_with: str | None = None
    """A party member paired with the household (结对帮扶): only that person visits it."""
    fixed: Slot | None = None
    """Set by hand in the office; the plan keeps it or says why it cannot."""
    done: bool = False


class Person(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: PersonKind
    grids: frozenset[str] = frozenset()
    """Grids served. Grid workers: theirs; community staff: empty = every grid; party members: ignored."""
    availability: frozenset[tuple[date, str]] = frozenset()
    """(date, window name) pairs the person can work."""
    capacity: int = 6
    """Visits per window at most."""
    start: Point | None = None
    """Where each walk starts (the community office); None: at the first household."""


class PlannerOptions(msgspec.Struct, frozen=True, kw_only=True):
    solution_limit: int = 10
    """Local-search solutions per model: the deterministic stop."""
    time_limit_s: float = 10.0
    """Per model, a safety net only."""
    workers: int = 0
    """Parallel processes for the first pass; 0 = one per core (at most 2)."""


class PlannedVisit(msgspec.Struct, frozen=True, kw_only=True):
    visit: str
    slot: Slot
    order: int
    """1-based position in the slot's walk."""
    arrival: time


class Route(msgspec.Struct, frozen=True, kw_only=True):
    slot: Slot
    visits: tuple[str, ...]
    walking_m: int
    baseline_m: int
    """Walking metres of the same visits in building-code order."""


class Unplanned(msgspec.Struct, frozen=True, kw_only=True):
    visit: str
    reason: Reason
    message: str
    """In English; ``translate(source, locale, **params)`` gives it in the reader's language."""
    source: str
    """The catalog's message id."""
    params: dict[str, str] = msgspec.field(default_factory=dict)


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    planned: tuple[PlannedVisit, ...]
    routes: tuple[Route, ...]
    unplanned: tuple[Unplanned, ...]
    done: tuple[str, ...]
    visits_per_person: dict[str, int]

    @property
    def walking_m(self) -> int:
        return sum(r.walking_m for r in self.routes)

    @property
    def baseline_m(self) -> int:
        return sum(r.baseline_m for r in self.routes)

    def load_spread(self) -> tuple[int, float, int]:
        """(min, median, max) visits per person over people with any availability."""
        counts = list(self.visits_per_person.values()) or [0]
        return min(counts), median(counts), max(counts)


class Changes(msgspec.Struct, frozen=True, kw_only=True):
    """What happened since a plan was made."""

    absent: frozenset[tuple[str, date]] = frozenset()
    """(person, date): away that whole day."""
    moved: Mapping[str, Slot] = msgspec.field(default_factory=dict)
    """Visit id → the slot the office moved it to by hand (it becomes fixed)."""
    done: frozenset[str] = frozenset()
    from_day: date | None = None
    """Re-planning mid-week: no slot before this date (those days are over)."""


# --- walking ---------------------------------------------------------------------------


def walking_metres(a: Point, b: Point) -> float:
    """Estimated walking distance: haversine × :data:`DETOUR_FACTOR`."""
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) * DETOUR_FACTOR


def _walk_seconds(metres: float) -> int:
    return math.ceil(metres / (WALK_SPEED_KMH * 1000 / 3600))


def _walk_length(start: Point | None, points: Sequence[Point]) -> int:
    stops = ([start] if start is not None else []) + list(points)
    return round(sum(walking_metres(a, b) for a, b in pairwise(stops)))


def _seconds(t: time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


def _clock(seconds: int) -> time:
    seconds = min(seconds, _DAY_S - 1)
    return time(seconds // 3600, seconds // 60 % 60, seconds % 60)


# --- who may visit what ----------------------------------------------------------------


def _may_visit(person: Person, visit: DueVisit) -> bool:
    """May ``person`` make ``visit`` at all (grid and pairing; days and fixed slots aside)?"""
    if visit.paired_with is not None:
        return person.id == visit.paired_with
    if person.kind is PersonKind.GRID_WORKER:
        return visit.grid in person.grids
    if person.kind is PersonKind.COMMUNITY_STAFF:
        return not person.grids or visit.grid in person.grids
    return False


def _slot_fits(slot: Slot, visit: DueVisit, windows: Mapping[str, Window]) -> bool:
    if visit.fixed is not None:
        return slot == visit.fixed
    start, end = windows[slot.window].seconds
    return slot.day in visit.days and visit.minutes_on_site * 60 <= end - start


def _slots(person: Person, windows: Mapping[str, Window]) -> list[Slot]:
    return sorted(Slot(person.id, d, w) for d, w in person.availability if w in windows)


# --- one routing model -----------------------------------------------------------------


class _Problem(msgspec.Struct, frozen=True):
    """One routing model's input; a Struct so it pickles to a worker process."""

    visits: tuple[DueVisit, ...]
    slots: tuple[Slot, ...]
    people: dict[str, Person]
    windows: dict[str, Window]
    allowed: tuple[tuple[int, ...], ...]
    """Per visit: indexes into ``slots``."""
    options: PlannerOptions
    hint: tuple[tuple[int, tuple[int, ...]], ...] = ()
    """Routes to start from: (slot index, visit indexes in walking order)."""


class _Solved(msgspec.Struct, frozen=True):
    routes: dict[Slot, list[tuple[str, int]]]
    """Slot → [(visit id, arrival seconds)] in walking order."""
    objective: int = 0


def _solve(problem: _Problem) -> _Solved:
    visits, slots, windows = problem.visits, problem.slots, problem.windows
    starts = sorted({p.start for p in problem.people.values() if p.start is not None})
    # nodes: 0 = "anywhere" (free start/end), then start points, then visits
    points: list[Point | None] = [None, *starts, *(v.point for v in visits)]
    first_visit = 1 + len(starts)
    n = len(points)
    service = [0] * first_visit + [v.minutes_on_site * 60 for v in visits]
    metres = [[0] * n for _ in range(n)]
    seconds = [[0] * n for _ in range(n)]
    for i in range(1, n):
        pi = points[i]
        assert pi is not None
        for j in range(first_visit, n):
            if i != j:
                pj = points[j]
                assert pj is not None
                m = walking_metres(pi, pj)
                metres[i][j] = round(m)
                seconds[i][j] = _walk_seconds(m)
    for i in range(n):
        for j in range(n):
            seconds[i][j] += service[i]

    start_node = {s: 1 + k for k, s in enumerate(starts)}
    vehicle_starts = [
        start_node[at] if (at := problem.people[s.person].start) is not None else 0 for s in slots
    ]
    # a start point is only a start; an empty route may be anywhere→anywhere
    manager = pywrapcp.RoutingIndexManager(n, len(slots), vehicle_starts, [0] * len(slots))
    routing = pywrapcp.RoutingModel(manager)

    by_window: dict[str, int] = {}
    for name in sorted(windows):
        cost = [row[:] for row in metres]
        for k, v in enumerate(visits):
            if v.preferred_window not in (None, name):
                for i in range(n):
                    cost[i][first_visit + k] += _OFF_PREFERENCE_COST
        by_window[name] = routing.RegisterTransitMatrix(cost)
    for vehicle, slot in enumerate(slots):
        routing.SetArcCostEvaluatorOfVehicle(by_window[slot.window], vehicle)

    time_cb = routing.RegisterTransitMatrix(seconds)
    routing.AddDimension(time_cb, _DAY_S, _DAY_S, False, "time")
    time_dim = routing.GetDimensionOrDie("time")
    for vehicle, slot in enumerate(slots):
        lo, hi = windows[slot.window].seconds
        time_dim.CumulVar(routing.Start(vehicle)).SetRange(lo, hi)
        time_dim.CumulVar(routing.End(vehicle)).SetRange(lo, hi)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(routing.Start(vehicle)))

    count_cb = routing.RegisterUnaryTransitVector([0] * first_visit + [1] * len(visits))
    capacities = [problem.people[s.person].capacity for s in slots]
    routing.AddDimensionWithVehicleCapacity(count_cb, 0, capacities, True, "count")
    count_dim = routing.GetDimensionOrDie("count")
    used_slots = {i for allowed in problem.allowed for i in allowed}
    fair = max(1, math.ceil(len(visits) / max(1, len(used_slots))))
    for vehicle, cap in enumerate(capacities):
        if fair < cap:
            count_dim.SetCumulVarSoftUpperBound(routing.End(vehicle), fair, _OVER_FAIR_SHARE_COST)

    for k, v in enumerate(visits):
        index = manager.NodeToIndex(first_visit + k)
        # who may make it: SetAllowedVehiclesForIndex would say so, but in ortools 9.15 its
        # SWIG wrapper rejects any Python sequence for the absl::Span argument (TypeError);
        # restricting the vehicle variable's domain (-1 = not performed) is the same rule
        routing.VehicleVar(index).SetValues([-1, *problem.allowed[k]])
        # the sooner a visit is due (fewer allowed days), the dearer it is to leave out
        urgency = _DROP_PENALTY // 7 * (7 - min(7, len(v.days)))
        penalty = _FIXED_DROP_PENALTY if v.fixed is not None else _DROP_PENALTY + urgency
        routing.AddDisjunction([index], penalty)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(index))

    if problem.hint:
        # re-planning: moving a visit away from the slot it had costs, so households
        # already told their day keep it unless the change forces a move
        was = {k: vehicle for vehicle, ks in problem.hint for k in ks}
        moved = [
            routing.RegisterUnaryTransitVector(
                [0] * first_visit
                + [int(was.get(k, vehicle) != vehicle) for k in range(len(visits))]
            )
            for vehicle in range(len(slots))
        ]
        routing.AddDimensionWithVehicleTransits(moved, 0, len(visits), True, "moved")
        routing.GetDimensionOrDie("moved").SetSpanCostCoefficientForAllVehicles(_MOVE_COST)

    # first a greedy descent to a local optimum (deterministic, no limit needed) from a
    # savings (Clarke & Wright) start, which groups visits of one building into one walk;
    # then guided local search from there, stopped after a number of solutions
    descent = pywrapcp.DefaultRoutingSearchParameters()
    descent.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.SAVINGS
    descent.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT
    descent.time_limit.FromMilliseconds(int(problem.options.time_limit_s * 1000))
    guided = pywrapcp.DefaultRoutingSearchParameters()
    guided.CopyFrom(descent)
    guided.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    guided.solution_limit = problem.options.solution_limit
    routing.CloseModelWithParameters(descent)

    solution = None
    if problem.hint:
        start: list[list[int]] = [[] for _ in slots]
        for vehicle, ks in problem.hint:
            start[vehicle] = [manager.NodeToIndex(first_visit + k) for k in ks]
        # None when the old routes no longer fit (a window changed): then solve afresh
        initial = routing.ReadAssignmentFromRoutes(start, True)
        if initial is not None:
            solution = routing.SolveFromAssignmentWithParameters(initial, descent)
    if solution is None:
        solution = routing.SolveWithParameters(descent)
    if solution is not None and problem.options.solution_limit > 0:
        solution = routing.SolveFromAssignmentWithParameters(solution, guided) or solution

    routes: dict[Slot, list[tuple[str, int]]] = {}
    if solution is None:  # cannot happen with every visit optional; plan nothing rather than fail
        return _Solved(routes)
    for vehicle, slot in enumerate(slots):
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        stops: list[tuple[str, int]] = []
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            stops.append((visits[node - first_visit].id, solution.Value(time_dim.CumulVar(index))))
            index = solution.Value(routing.NextVar(index))
        if stops:
            routes[slot] = stops
    return _Solved(routes, solution.ObjectiveValue())


def _problem(
    visits: Iterable[DueVisit],
    people: Iterable[Person],
    windows: dict[str, Window],
    options: PlannerOptions,
    hint: Mapping[Slot, Sequence[str]],
) -> _Problem | None:
    people_by_id = {p.id: p for p in people}
    slots = sorted(s for p in people_by_id.values() for s in _slots(p, windows))
    index = {s: i for i, s in enumerate(slots)}
    kept: list[DueVisit] = []
    allowed: list[tuple[int, ...]] = []
    for v in sorted(visits, key=lambda v: v.id):
        ok: tuple[Slot, ...]
        if v.fixed is not None:
            ok = (v.fixed,) if v.fixed in index else ()
        else:
            ok = tuple(
                s
                for s in slots
                if _may_visit(people_by_id[s.person], v) and _slot_fits(s, v, windows)
            )
        if ok:
            kept.append(v)
            allowed.append(tuple(index[s] for s in ok))
    if not kept:
        return None
    # a model with far more visits than its slots can take is slow and gains nothing:
    # offer the most urgent (fixed, then fewest allowed days) up to a multiple of capacity;
    # the rest are over capacity whatever the solver would choose
    capacity = sum(people_by_id[slots[i].person].capacity for i in set().union(*allowed))
    room = math.ceil(_OFFER_FACTOR * capacity)
    if len(kept) > room:
        rank = sorted(
            range(len(kept)), key=lambda k: (kept[k].fixed is None, len(kept[k].days), kept[k].id)
        )
        chosen = sorted(rank[:room])
        kept = [kept[k] for k in chosen]
        allowed = [allowed[k] for k in chosen]
    position = {v.id: k for k, v in enumerate(kept)}
    start_from = tuple(
        (index[slot], ks)
        for slot in sorted(hint)
        if slot in index
        and (
            ks := tuple(
                position[vid]
                for vid in hint[slot]
                if vid in position and index[slot] in allowed[position[vid]]
            )
        )
    )
    return _Problem(
        tuple(kept), tuple(slots), people_by_id, windows, tuple(allowed), options, start_from
    )


def _solve_all(problems: list[_Problem], workers: int) -> list[_Solved]:
    if workers <= 1 or len(problems) <= 1:
        return [_solve(p) for p in problems]
    # the largest first, so the last one to finish is small
    order = sorted(range(len(problems)), key=lambda i: -len(problems[i].visits))
    # "forkserver", not "fork": the web server that plans has threads (database drivers,
    # the event loop's executor), and a forked child may inherit a lock one of them held.
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        solved = dict(zip(order, pool.map(_solve, [problems[i] for i in order]), strict=True))
    return [solved[i] for i in range(len(problems))]


# --- the plan --------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(self, x: tuple[str, str]) -> tuple[str, str]:
        self.parent.setdefault(x, x)
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _reason(
    visit: DueVisit, people: Mapping[str, Person], windows: Mapping[str, Window]
) -> Unplanned:
    def said(reason: Reason, **kw: str) -> Unplanned:
        text = _MESSAGES[reason]
        return Unplanned(
            visit=visit.id, reason=reason, message=text.format(**kw), source=text, params=kw
        )

    if visit.fixed is not None:
        f = visit.fixed
        where = f"{f.day.isoformat()} {f.window}"
        person = people.get(f.person)
        if person is None or (f.day, f.window) not in person.availability:
            return said(Reason.FIXED_SLOT_UNAVAILABLE, person=f.person, slot=where)
        return said(Reason.FIXED_SLOT_FULL, person=f.person, slot=where)
    if all(visit.minutes_on_site * 60 > w.seconds[1] - w.seconds[0] for w in windows.values()):
        return said(Reason.TOO_LONG_FOR_WINDOW)
    candidates = [p for p in people.values() if _may_visit(p, visit)]
    usable = [
        p for p in candidates if any(_slot_fits(s, visit, windows) for s in _slots(p, windows))
    ]
    if visit.paired_with is not None:
        if not usable:
            return said(Reason.PAIRED_MEMBER_UNAVAILABLE, person=visit.paired_with)
        return said(Reason.OVER_CAPACITY)
    if not candidates:
        return said(Reason.NO_ONE_SERVES_GRID, grid=visit.grid)
    if not usable:
        return said(Reason.NO_AVAILABLE_WINDOW)
    return said(Reason.OVER_CAPACITY)


def plan_week(
    visits: Sequence[DueVisit],
    people: Sequence[Person],
    windows: Sequence[Window] | None = None,
    options: PlannerOptions | None = None,
    start_from: Plan | None = None,
) -> Plan:
    """Plan the week: every due visit ends up planned, done or unplanned with a reason.

    ``start_from``: a previous plan whose routes (those still possible) are the solver's
    first solution, so a re-plan moves little that need not move.
    """
    options = options or PlannerOptions()
    wins = {w.name: w for w in (windows or default_windows())}
    by_id = {p.id: p for p in people}
    assert len(by_id) == len(people), "person ids must be unique"
    assert len({v.id for v in visits}) == len(visits), "visit ids must be unique"
    is_staff = {p.id: p.kind is PersonKind.COMMUNITY_STAFF for p in people}
    pending = [v for v in visits if not v.done]
    hint = {r.slot: r.visits for r in start_from.routes} if start_from is not None else {}

    # first pass: grid workers and paired party members, per component. A paired or fixed
    # visit belongs to its person, any other to its grid; a grid worker joins their grids.
    uf = _UnionFind()
    for p in people:
        if p.kind is PersonKind.GRID_WORKER:
            for g in sorted(p.grids):
                uf.union(("p", p.id), ("g", g))
    first: list[tuple[tuple[str, str], DueVisit]] = []
    for v in pending:
        if v.fixed is not None:
            key = ("p", v.fixed.person)
            who = [v.fixed.person] if not is_staff.get(v.fixed.person, True) else []
        else:
            key = ("p", v.paired_with) if v.paired_with is not None else ("g", v.grid)
            who = [p.id for p in people if not is_staff[p.id] and _may_visit(p, v)]
        for pid in who:
            uf.union(key, ("p", pid))
        if who:
            first.append((key, v))
    groups: dict[tuple[str, str], list[DueVisit]] = defaultdict(list)
    for key, v in first:
        groups[uf.find(key)].append(v)
    members: dict[tuple[str, str], list[Person]] = defaultdict(list)
    for p in people:
        if not is_staff[p.id]:
            members[uf.find(("p", p.id))].append(p)
    problems = [
        prob
        for key in sorted(groups)
        if (prob := _problem(groups[key], members[key], wins, options, hint)) is not None
    ]
    workers = options.workers or min(2, os.cpu_count() or 1)
    solved = _solve_all(problems, workers)
    routes: dict[Slot, list[tuple[str, int]]] = {}
    for s in solved:
        routes.update(s.routes)

    # second pass: community staff take what is left and may go to any grid they serve
    planned_ids = {vid for stops in routes.values() for vid, _ in stops}
    staff = [p for p in people if is_staff[p.id]]
    leftovers = [
        v
        for v in pending
        if v.id not in planned_ids
        and (
            (v.fixed is not None and is_staff.get(v.fixed.person, False))
            or (v.fixed is None and any(_may_visit(p, v) for p in staff))
        )
    ]
    second = _problem(leftovers, staff, wins, options, hint) if staff and leftovers else None
    if second is not None:
        routes.update(_solve(second).routes)

    return _assemble(visits, by_id, wins, routes)


def _assemble(
    visits: Sequence[DueVisit],
    people: Mapping[str, Person],
    windows: Mapping[str, Window],
    routes: Mapping[Slot, list[tuple[str, int]]],
) -> Plan:
    by_id = {v.id: v for v in visits}
    planned: list[PlannedVisit] = []
    out_routes: list[Route] = []
    per_person = {p.id: 0 for p in people.values() if p.availability}
    for slot in sorted(routes):
        stops = routes[slot]
        start = people[slot.person].start
        ordered = [by_id[vid] for vid, _ in stops]
        baseline = sorted(ordered, key=lambda v: (v.building, v.household, v.id))
        out_routes.append(
            Route(
                slot=slot,
                visits=tuple(v.id for v in ordered),
                walking_m=_walk_length(start, [v.point for v in ordered]),
                baseline_m=_walk_length(start, [v.point for v in baseline]),
            )
        )
        for order, (vid, arrival) in enumerate(stops, 1):
            planned.append(PlannedVisit(visit=vid, slot=slot, order=order, arrival=_clock(arrival)))
        per_person[slot.person] = per_person.get(slot.person, 0) + len(stops)
    planned_ids = {p.visit for p in planned}
    done = tuple(sorted(v.id for v in visits if v.done))
    unplanned = tuple(
        _reason(v, people, windows)
        for v in sorted(visits, key=lambda v: v.id)
        if not v.done and v.id not in planned_ids
    )
    # every due visit is accounted for exactly once
    assert len(planned_ids) == len(planned)
    assert planned_ids.isdisjoint(done)
    assert len(planned) + len(unplanned) + len(done) == len(visits)
    return Plan(
        planned=tuple(sorted(planned, key=lambda p: (p.slot, p.order))),
        routes=tuple(out_routes),
        unplanned=unplanned,
        done=done,
        visits_per_person=per_person,
    )


def replan(
    previous: Plan,
    visits: Sequence[DueVisit],
    people: Sequence[Person],
    changes: Changes,
    windows: Sequence[Window] | None = None,
    options: PlannerOptions | None = None,
) -> Plan:
    """Plan again after ``changes``: done visits stay out, fixed and moved ones stay put.

    Absent people lose every slot of the days they are away; the visits there are planned
    again elsewhere. The search starts from ``previous``'s routes (what is still possible
    of them), so most visits keep their slot; it may still move some where that walks less.
    """
    updated: list[DueVisit] = []
    for v in visits:
        if v.id in changes.done:
            v = msgspec.structs.replace(v, done=True)
        elif v.id in changes.moved:
            v = msgspec.structs.replace(v, fixed=changes.moved[v.id])
        updated.append(v)
    present = [
        msgspec.structs.replace(
            p,
            availability=frozenset(
                (d, w)
                for d, w in p.availability
                if (p.id, d) not in changes.absent
                and (changes.from_day is None or d >= changes.from_day)
            ),
        )
        for p in people
    ]
    return plan_week(updated, present, windows, options, start_from=previous)
