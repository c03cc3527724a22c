"""What the visits API takes and answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from server.people.schemas import Availability
from server.visits.models import Condition, VisitState, VisitWindow

__all__ = [
    "CoverageRow",
    "CoverageSeries",
    "CoverageView",
    "CoverageWeek",
    "DayView",
    "PersonLoad",
    "PlanReport",
    "PlanRequest",
    "SentRecord",
    "UnplannedView",
    "VisitRecord",
    "VisitReportPage",
    "VisitReportReview",
    "VisitReportView",
    "VisitView",
    "WeekDay",
    "WeekPerson",
    "WeekPlan",
    "WeekTotals",
    "WeekUnplanned",
    "WeekVisit",
    "WeekWindow",
    "WindowWalk",
]

Need = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]


class PlanRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Plan the week that starts on ``week_start`` (a Monday)."""

    week_start: date


class UnplannedView(msgspec.Struct, frozen=True):
    visit_id: int
    resident: str  # masked
    grid: str
    reason: str  # code, e.g. "over_capacity"
    message: str  # in the reader's language


class PersonLoad(msgspec.Struct, frozen=True):
    user_id: int
    name: str
    visits: int


class PlanReport(msgspec.Struct, frozen=True):
    community: str
    week_start: date
    due: int
    planned: int
    done: int
    unplanned: list[UnplannedView]
    # Walking in the planned order, and in building-code order (the baseline), metres.
    walking_m: int
    baseline_m: int
    load: list[PersonLoad]
    # Due this week but left as they are: their day passed unvisited (the office moves or
    # records them), or cancelled. due = planned + done + unplanned + missed + cancelled.
    missed: int = 0
    cancelled: int = 0


class VisitView(msgspec.Struct, frozen=True):
    id: int
    state: VisitState
    version: int
    resident_id: int
    resident: str
    building: str | None
    unit: str | None
    care_tags: list[str]
    due_by: date
    visit_date: date | None
    window: VisitWindow | None
    position: int | None
    arrive_at: str | None
    walk_m: int | None
    lon: float
    lat: float
    # What the last visit found (for the visitor to follow up).
    last_condition: Condition | None = None
    last_needs: list[str] = []
    last_notes: str | None = None
    condition: Condition | None = None
    needs: list[str] = []
    notes: str = ""
    urgent: bool = False
    visited_at: datetime | None = None
    allowed_actions: list[str] = []


class WindowWalk(msgspec.Struct, frozen=True):
    """One window of the day: how many visits, and the walk from the first household to
    the last in walking order (metres, the planner's estimate)."""

    window: VisitWindow
    visits: int
    walk_m: int


class DayView(msgspec.Struct, frozen=True):
    date: date
    visits: list[VisitView]
    # Noon, then evening; only the windows that have visits.
    walks: list[WindowWalk] = []


class VisitRecord(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the visitor found. ``visited_at`` is the phone's clock (recorded offline)."""

    condition: Condition
    needs: Annotated[list[Need], msgspec.Meta(max_length=10)] = []
    notes: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    urgent: bool = False
    visited_at: datetime | None = None
    photo: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    # Only with the visitor's consent to say where they were.
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class VisitMove(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The office places a visit by hand: a re-plan keeps it there."""

    person_user_id: Annotated[int, msgspec.Meta(ge=1)]
    visit_date: date
    window: VisitWindow
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class CareSettingsView(msgspec.Struct, frozen=True):
    """A community's care roster: days between visits by care tag ("*": any other tag),
    the visiting windows, visits per window, and the office's duty days (Monday 0)."""

    community: str
    frequencies: dict[str, int]
    windows: dict[str, list[str]]
    capacity_per_window: int
    office_days: list[int]


class CareSettingsUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    frequencies: dict[str, Annotated[int, msgspec.Meta(ge=1, le=366)]]
    windows: dict[VisitWindow, Annotated[list[HHMM], msgspec.Meta(min_length=2, max_length=2)]]
    capacity_per_window: Annotated[int, msgspec.Meta(ge=1, le=30)]
    office_days: Annotated[
        list[Annotated[int, msgspec.Meta(ge=0, le=6)]], msgspec.Meta(max_length=7)
    ]


class CarePairIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """结对帮扶: pair a party member with a resident, visiting every ``every_days``."""

    member_user_id: Annotated[int, msgspec.Meta(ge=1)]
    resident_id: Annotated[int, msgspec.Meta(ge=1)]
    every_days: Annotated[int, msgspec.Meta(ge=1, le=366)] = 14


class CarePairView(msgspec.Struct, frozen=True):
    id: int
    member_user_id: int
    member: str
    resident_id: int
    resident: str
    every_days: int
    active: bool


class VisitRecordItem(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One visit recorded on a phone, as its offline queue sends it: ``ref`` is the
    queued command's id, so a record sent twice is stored once."""

    ref: Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
    visit_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    condition: Condition
    visited_at: datetime
    needs: Annotated[list[Need], msgspec.Meta(max_length=10)] = []
    notes: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    urgent: bool = False
    photo: Annotated[str, msgspec.Meta(max_length=80)] | None = None
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None


class VisitRecordBatch(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Up to 50 visit records from one phone, in the order they were made."""

    records: Annotated[list[VisitRecordItem], msgspec.Meta(min_length=1, max_length=50)]


SyncOutcome = Literal["recorded", "duplicate", "kept", "refused"]


class VisitSyncItem(msgspec.Struct, frozen=True):
    """What became of one record: ``recorded`` (the visit is done), ``duplicate`` (this
    ref was received before: nothing written again; ``first`` says what became of it
    then), ``kept`` (could not be applied: the household was reassigned or the visit
    recorded by someone else; kept for the office to review), ``refused`` (not yours to
    record, or the record is wrong: the reason says why). Only ``refused`` should stay in
    the phone's queue as set aside; the others are done."""

    ref: str
    visit_id: int
    outcome: SyncOutcome
    reason: str | None = None
    first: str | None = None
    version: int | None = None


class VisitSyncResult(msgspec.Struct, frozen=True):
    results: list[VisitSyncItem]
    recorded: int
    kept: int
    duplicate: int
    refused: int


class CoverageWeek(msgspec.Struct, frozen=True):
    """One ISO week of a coverage row: ``share = on_time / due`` (None: nothing due).

    ``due`` = on_time + late + missed + open; ``pending`` (due today or later, not yet
    done) is in neither figure."""

    week_start: date  # the Monday
    due: int
    on_time: int
    late: int
    missed: int
    open: int
    pending: int
    share: float | None


class CoverageSeries(msgspec.Struct, frozen=True):
    key: str  # the care tag code
    weeks: list[CoverageWeek]


class CoverageRow(msgspec.Struct, frozen=True):
    key: str  # the grid code
    name: str
    weeks: list[CoverageWeek]


class CoverageView(msgspec.Struct, frozen=True):
    """走访覆盖率: see :mod:`server.visits.coverage` for what counts."""

    community: str
    community_code: str
    today: date
    weeks: list[date]
    total: list[CoverageWeek]
    by_tag: list[CoverageSeries]
    by_grid: list[CoverageRow]


# --- the office's week (GET /communities/{code}/visit-plan) ------------------------------


class WeekVisit(msgspec.Struct, frozen=True):
    """One visit in a person's window, in walking order."""

    id: int
    version: int
    state: VisitState
    resident: str  # masked
    building: str | None
    grid_id: int
    # The party member of the pair whose visit this is (only they, or the office, make it).
    pair_member_id: int | None
    due_by: date
    position: int | None
    arrive_at: str | None
    walk_m: int | None
    fixed: bool  # placed by hand: a re-plan keeps it there
    allowed_actions: list[str]


class WeekWindow(msgspec.Struct, frozen=True):
    window: VisitWindow
    visits: list[WeekVisit]
    # Visits that take the person's time (planned, done, missed) against the capacity.
    load: int
    over_capacity: bool


class WeekDay(msgspec.Struct, frozen=True):
    date: date
    windows: list[WeekWindow]  # noon, then evening


class WeekPerson(msgspec.Struct, frozen=True):
    """Someone who may visit (a grid worker, community staff) or has visits this week."""

    user_id: int
    name: str
    kind: str  # "grid_worker", "community_staff" or "party_member"
    grid_ids: list[int]  # the grids a grid worker serves (staff: every grid)
    visits: int
    days: list[WeekDay]  # the seven days, Monday first


class WeekUnplanned(msgspec.Struct, frozen=True):
    id: int
    version: int
    resident: str  # masked
    building: str | None
    grid_id: int
    grid: str
    pair_member_id: int | None
    due_by: date
    reason: str  # code, e.g. "over_capacity" ("" before any plan said why)
    message: str  # in the reader's language
    allowed_actions: list[str]


class WeekTotals(msgspec.Struct, frozen=True):
    due: int  # every visit of the week that is not cancelled
    planned: int
    done: int
    missed: int
    unplanned: int


class WeekPlan(msgspec.Struct, frozen=True):
    """A community's week of visits as the office reads it."""

    community: str
    code: str
    week_start: date
    capacity_per_window: int
    windows: dict[str, list[str]]
    office_days: list[int]
    people: list[WeekPerson]
    unplanned: list[WeekUnplanned]
    totals: WeekTotals


# --- kept visit reports the office reviews (GET /communities/{code}/visit-reports) -------


class SentRecord(msgspec.Struct, frozen=True):
    """What the phone sent, as it sent it."""

    condition: str | None
    visited_at: datetime | None
    needs: list[str]
    notes: str
    urgent: bool
    photo: str | None = None


ReportState = Literal["open", "reviewed"]


class VisitReportView(msgspec.Struct, frozen=True):
    """A visit record a phone sent that could not be applied, for the office to review.

    ``reason``: ``reassigned`` (the household went to someone else meanwhile),
    ``already_recorded`` (someone recorded the visit first), or the visit's state then
    (``cancelled``, ``unplanned``). ``recordable``: the visit may still be recorded from
    this report now (planned or missed); ``visit_version`` goes back as
    ``expected_version`` when it is."""

    id: int
    visit_id: int
    visit_state: VisitState
    visit_version: int
    due_by: date
    visit_date: date | None
    window: VisitWindow | None
    resident: str  # masked
    building: str | None
    reporter_id: int
    reporter: str
    visitor_id: int | None  # the visitor the plan names now
    visitor: str | None
    received_at: datetime
    reason: str
    sent: SentRecord
    state: ReportState
    recordable: bool
    decision: str | None = None  # "applied" or "dismissed"
    review_note: str | None = None
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None


class VisitReportPage(msgspec.Struct, frozen=True):
    """One page of a community's kept reports: ``total`` in all, ``items`` from ``offset``
    (open ones oldest first, to be worked through; reviewed ones newest first)."""

    total: int
    items: list[VisitReportView]
    limit: int
    offset: int


class VisitReportReview(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The office's decision on a kept report: ``apply`` records the visit from it (the
    reporter made it), ``dismiss`` sets it aside with a note saying why (required).
    ``expected_version``: the visit's version the clerk saw (``visit_version``)."""

    decision: Literal["apply", "dismiss"]
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class VisitHoursIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """When I can go out on visits, by weekday (none: every visiting window)."""

    availability: Annotated[list[Availability], msgspec.Meta(max_length=21)] = []


class VisitHoursView(msgspec.Struct, frozen=True):
    """A visitor's hours for the weekly plan: the slots they gave (empty: every visiting
    window of the week's open days), and the windows of their community for reference."""

    availability: list[Availability]
    every_window: bool
    windows: dict[str, list[str]]
