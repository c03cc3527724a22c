"""The case figures of a unit (grid, community, sub-district) over a period, aggregated in
the database. Importable on its own (the 三公开 page reuses it): no request, no user.

What counts (also in ``docs/boards.md``; every figure carries its formula in the API):

- The period is whole local days (Asia/Shanghai) ``start`` to ``end``, both included.
- **received**: cases created in the period in the unit, except those merged into
  another (the same request, counted once, under the case it was merged into) and
  those not accepted 不予受理 (shown apart, as ``rejected`` and ``merged``).
- **closed**: of the received, those in state ``closed`` (verified done) whose
  ``closed_at`` is before the end of the period. Resolved but not yet verified, closed
  after the period, or reopened and not closed again: not closed.
- **closure rate** 办结率 = closed ÷ received.
- **on time**: of the closed, those resolved by the deadline in force (approved
  extensions included) and never escalated by the deadline watch
  (``Case.on_time``, written at closing). **on-time rate** = on time ÷ closed.
- **handling time**: of the closed, working hours from intake to closing in the
  community's calendar (``Case.handling_hours``, written at closing); average and the
  90th percentile (linear interpolation, PostgreSQL's ``percentile_cont(0.9)``).
- **satisfaction**: of the closed, those rated at the callback 回访 (1 满意, 2 基本满意,
  3 不满意). satisfied share = (满意 + 基本满意) ÷ rated; average score = mean of
  (4 − rating): 3 满意, 2 基本满意, 1 不满意.
- **reworks** and **escalations**: totals over the received (a rework is a resolved case
  sent back or a closed one reopened; an escalation is by staff or by the deadline watch).

One statement does the counting and averaging (for a unit and its children side by
side, a ``GROUP BY ROLLUP`` on PostgreSQL); the 90th percentile is in it on PostgreSQL,
and on SQLite comes from one fetch of the closed cases' hours (one float per closed case
of the unit and period).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.scope import Scope
from server.boards.tally import (
    BIN_COLUMNS,
    COUNTS,
    OVER_CLOSED,
    OVER_RECEIVED,
    bin_bounds,
    case_tallies,
    percentile_places,
)
from server.cases.models import Case, CaseState
from server.notify.outbox import LOCAL_TZ

__all__ = ["Period", "Tally", "case_figures", "percentile", "side_by_side"]


@dataclass(frozen=True, slots=True)
class Period:
    """Whole local days, both ends included."""

    start: date
    end: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.start, time(0), LOCAL_TZ).astimezone(UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(0), LOCAL_TZ).astimezone(UTC)


@dataclass(slots=True)
class Tally:
    """The counts of one unit; the rates are quotients of them (None: nothing to divide)."""

    received: int = 0
    closed: int = 0
    on_time: int = 0
    rejected: int = 0
    merged: int = 0
    rated: int = 0
    satisfied: int = 0
    score_sum: int = 0
    hours_sum: float = 0.0
    hours_count: int = 0
    p90_hours: float | None = None
    reworks: int = 0
    escalations: int = 0
    hours: list[float] = field(default_factory=list, repr=False)

    @staticmethod
    def _q(a: float, b: float) -> float | None:
        return a / b if b else None

    @property
    def closure_rate(self) -> float | None:
        return self._q(self.closed, self.received)

    @property
    def on_time_rate(self) -> float | None:
        return self._q(self.on_time, self.closed)

    @property
    def avg_hours(self) -> float | None:
        return self._q(self.hours_sum, self.hours_count)

    @property
    def satisfied_share(self) -> float | None:
        return self._q(self.satisfied, self.rated)

    @property
    def avg_score(self) -> float | None:
        return self._q(self.score_sum, self.rated)


def percentile(values: list[float], q: float) -> float | None:
    """``percentile_cont``: linear interpolation between the closest ranks."""
    if not values:
        return None
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    lo, hi = math.floor(at), math.ceil(at)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (at - lo)


_LEVEL_COLUMN = {
    "grid": Case.grid_id,
    "community": Case.community_id,
    "sub_district": Case.sub_district_id,
}


async def case_figures(
    session: AsyncSession,
    scope: Scope,
    period: Period,
    *,
    level: str,
    unit_id: int,
    by: str | None = None,
) -> dict[int, Tally]:
    """The tallies of the unit ``unit_id`` at ``level`` (grid, community, sub_district),
    keyed by the unit's id, or with ``by`` (a lower level) by each child that had cases.
    Only cases in ``scope`` count (the caller checked the unit is in it)."""
    found = await _tallies(session, scope, period, level, unit_id, by, with_total=False)
    return {k: t for k, t in found.items() if k is not None}


async def side_by_side(
    session: AsyncSession, scope: Scope, period: Period, *, level: str, unit_id: int, by: str
) -> tuple[Tally, dict[int, Tally]]:
    """The unit's tally and its children's (``by``: the level below), in one scan: on
    PostgreSQL one ``GROUP BY ROLLUP``; on SQLite the children's sums added up and the
    percentile of all their hours."""
    found = await _tallies(session, scope, period, level, unit_id, by, with_total=True)
    total = found.pop(None, None) or Tally()
    return total, {k: t for k, t in found.items() if k is not None}


def _added_up(tallies: Iterable[Tally]) -> Tally:
    """The sum of some units' counts (their percentile is not a sum: the caller's)."""
    total = Tally()
    for t in tallies:
        for name in COUNTS:
            setattr(total, name, getattr(total, name) + getattr(t, name))
    return total


async def _tallies(
    session: AsyncSession,
    scope: Scope,
    period: Period,
    level: str,
    unit_id: int,
    by: str | None,
    *,
    with_total: bool,
) -> dict[int | None, Tally]:
    whole = scope.is_system or (level == "sub_district" and unit_id in scope.sub_district_ids)
    if level == "sub_district" and by in (None, "community") and whole:
        found = await _from_tally(session, period, unit_id, by, with_total=with_total)
        if found is not None:
            return found
    key = _LEVEL_COLUMN[by or level]
    in_cohort = and_(
        _LEVEL_COLUMN[level] == unit_id,
        Case.created_at >= period.since,
        Case.created_at < period.until,
        scope.clause(Case),
    )
    counted = Case.state.not_in([CaseState.merged, CaseState.rejected])
    closed = and_(Case.state == CaseState.closed, Case.closed_at < period.until)
    rated = and_(closed, Case.satisfaction.is_not(None))
    timed = and_(closed, Case.handling_hours.is_not(None))

    def count(cond: Any) -> Any:
        return func.sum(case((cond, 1), else_=0))

    columns: list[Any] = [
        key,
        count(counted),
        count(closed),
        count(and_(closed, Case.on_time.is_(True))),
        count(Case.state == CaseState.rejected),
        count(Case.state == CaseState.merged),
        count(rated),
        count(and_(rated, Case.satisfaction.in_((1, 2)))),
        func.sum(case((rated, 4 - Case.satisfaction), else_=0)),
        func.sum(case((timed, Case.handling_hours), else_=0.0)),
        count(timed),
        func.sum(case((counted, Case.reworks), else_=0)),
        func.sum(case((counted, Case.escalations), else_=0)),
    ]
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        columns.append(func.percentile_cont(0.9).within_group(Case.handling_hours).filter(timed))
    grouping = func.rollup(key) if with_total and postgres else key
    rows = (await session.execute(select(*columns).where(in_cohort).group_by(grouping))).all()
    tallies: dict[int | None, Tally] = {}
    for row in rows:
        t = Tally(
            received=int(row[1] or 0),
            closed=int(row[2] or 0),
            on_time=int(row[3] or 0),
            rejected=int(row[4] or 0),
            merged=int(row[5] or 0),
            rated=int(row[6] or 0),
            satisfied=int(row[7] or 0),
            score_sum=int(row[8] or 0),
            hours_sum=float(row[9] or 0.0),
            hours_count=int(row[10] or 0),
            reworks=int(row[11] or 0),
            escalations=int(row[12] or 0),
        )
        if postgres:
            t.p90_hours = None if row[13] is None else float(row[13])
        # ROLLUP's grand total has no key (the key columns are never null).
        tallies[None if row[0] is None else int(row[0])] = t
    if not postgres and tallies:
        hours: dict[int, list[float]] = defaultdict(list)
        for unit, value in (
            await session.execute(select(key, Case.handling_hours).where(in_cohort, timed))
        ).all():
            hours[int(unit)].append(float(value or 0.0))
        for k, t in tallies.items():
            t.p90_hours = percentile(hours.get(k, []) if k is not None else [], 0.9)
        if with_total:
            total = _added_up(list(tallies.values()))
            total.p90_hours = percentile([h for hs in hours.values() for h in hs], 0.9)
            tallies[None] = total
    return tallies


async def _from_tally(
    session: AsyncSession, period: Period, unit_id: int, by: str | None, *, with_total: bool
) -> dict[int | None, Tally] | None:
    """A sub-district's tallies (and its communities') from ``case_tallies``: the sums of
    its rows for the days received in the period, the closed figures only of rows closed
    by its end; the exact 90th percentile from the bins and the cases of the one or two
    bins it needs. None when the tally and the cases disagree (never, unless the tally
    was tampered with): the caller then counts the cases."""
    t = case_tallies.c
    # Grouped also by "closed by the period's end", so that every column is a plain sum:
    # the closed figures are read from the group closed by then, the rest from both.
    by_end = t.closed_on <= period.end
    unit_col = t.community_id if by else t.sub_district_id
    rows = (
        await session.execute(
            select(
                unit_col,
                by_end,
                *(func.sum(t[name]) for name in (*OVER_RECEIVED, *OVER_CLOSED, *BIN_COLUMNS)),
            )
            .where(
                t.sub_district_id == unit_id,
                t.received_on >= period.start,
                t.received_on <= period.end,
            )
            .group_by(unit_col, by_end)
        )
    ).all()
    tallies: dict[int | None, Tally] = {}
    bins: dict[int | None, list[int]] = {}
    for row in rows:
        key, closed_by_end, sums = int(row[0]), bool(row[1]), [v or 0 for v in row[2:]]
        tally = tallies.setdefault(key, Tally())
        unit_bins = bins.setdefault(key, [0] * len(BIN_COLUMNS))
        for name, value in zip(OVER_RECEIVED, sums, strict=False):
            setattr(tally, name, getattr(tally, name) + int(value))
        if closed_by_end:
            for name, value in zip(OVER_CLOSED, sums[len(OVER_RECEIVED) :], strict=False):
                setattr(tally, name, float(value) if name == "hours_sum" else int(value))
            for k, value in enumerate(sums[len(OVER_RECEIVED) + len(OVER_CLOSED) :]):
                unit_bins[k] = int(value)
    for empty in [k for k, t_ in tallies.items() if not (t_.received or t_.rejected or t_.merged)]:
        del tallies[empty], bins[empty]
    if with_total:
        tallies[None] = _added_up(tallies.values())
        bins[None] = [sum(b[k] for b in bins.values()) for k in range(len(BIN_COLUMNS))]

    # The one or two values each percentile interpolates between, each read as its place
    # among the cohort's values in its bin (an index range on the hours, then OFFSET).
    # (A community's lookup names its community only: with the sub-district beside it the
    # planner reaches for the wrong index.)
    cohort = (
        Case.created_at >= period.since,
        Case.created_at < period.until,
        Case.state == CaseState.closed,
        Case.closed_at < period.until,
    )
    places = {unit: percentile_places(b, 0.9) for unit, b in bins.items() if unit in tallies}
    lookups: list[Any] = []
    wanted: list[tuple[int | None, int]] = []  # per lookup: whose, how many values
    for unit, (_, where) in places.items():
        # Both ranks in one bin (the usual case): one lookup of two values.
        merged = (
            [(where[0][0], where[0][1], 2)]
            if len(where) == 2 and where[0][0] == where[1][0]
            else [(k, o, 1) for k, o in where]
        )
        for k, offset, count in merged:
            low, high = bin_bounds(k)
            in_bin = [Case.handling_hours >= low]
            if high is not None:
                in_bin.append(Case.handling_hours < high)
            in_bin.append(
                Case.community_id == unit
                if by and unit is not None
                else Case.sub_district_id == unit_id
            )
            one = (
                select(literal(len(lookups)).label("i"), Case.handling_hours.label("h"))
                .where(*cohort, *in_bin)
                .order_by(Case.handling_hours)
                .offset(offset)
                .limit(count)
                .subquery()
            )
            lookups.append(select(one.c.i, one.c.h))
            wanted.append((unit, count))
    if not lookups:
        return tallies
    got: dict[int, list[float]] = defaultdict(list)
    for i, hours in (await session.execute(union_all(*lookups))).all():
        got[int(i)].append(float(hours))
    values: dict[int | None, list[float]] = defaultdict(list)
    for i, (unit, count) in enumerate(wanted):
        if len(got[i]) != count:
            return None  # the tally counted values the cases do not have
        values[unit].extend(sorted(got[i]))
    for unit, (at, _) in places.items():
        if values[unit]:
            low = values[unit][0]
            tallies[unit].p90_hours = low + (values[unit][-1] - low) * (at - int(at))
    return tallies
