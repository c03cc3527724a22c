"""Visit coverage 走访覆盖率: the share of due visits done on time, by week, care tag and grid.

The definition (also in ``docs/domain.md``):

- Weeks are ISO weeks (Monday to Sunday) in Asia/Shanghai; the answer covers the
  ``weeks`` weeks that end with the current one, oldest first.
- A visit is **due in a week** when its ``due_by`` falls in it. Cancelled visits are not
  due (the household moved away, is in hospital). In the current week only visits whose
  ``due_by`` is before today are judged: one due today or later can still be made on
  time, so it is counted as ``pending``, in neither figure.
- A due visit is **on time** when it is ``done`` and the local date (Asia/Shanghai) of
  its ``visited_at`` is on or before its ``due_by``. Done later (``late``), ``missed``,
  or still ``planned``/``unplanned`` after its date (``open``) is not on time.
- ``share = on_time / due`` (None when nothing was due). Pair visits 结对帮扶 count like
  roster visits: each is a visit of the resident.
- By care tag: a visit counts under **every** care tag its resident holds now (a
  resident both ``elderly_alone`` and ``disabled`` counts in both rows), so the tag rows
  do not add up to the total; residents without a tag count only in the total.
- By grid: each visit once, under the grid its resident lived in when it was planned.

Three statements whatever the range: the community, the visits of the range with their
residents' tags, the community's grids.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES
from server.accounts.services import CurrentUser
from server.db.base import utcnow
from server.grids.models import Grid
from server.grids.services import GridService
from server.lib.i18n import localised_name
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident
from server.visits.models import Visit, VisitState
from server.visits.schemas import CoverageRow, CoverageSeries, CoverageView, CoverageWeek

__all__ = ["CoverageService", "Tally"]


class Tally:
    """Counts of one week of one row (a tag, a grid, or the whole community)."""

    __slots__ = ("due", "late", "missed", "on_time", "open", "pending")

    def __init__(self) -> None:
        self.due = self.on_time = self.late = self.missed = self.open = self.pending = 0

    def add(self, outcome: str) -> None:
        if outcome == "pending":
            self.pending += 1
            return
        self.due += 1
        setattr(self, outcome, getattr(self, outcome) + 1)

    def view(self, week: date) -> CoverageWeek:
        return CoverageWeek(
            week_start=week,
            due=self.due,
            on_time=self.on_time,
            late=self.late,
            missed=self.missed,
            open=self.open,
            pending=self.pending,
            share=round(self.on_time / self.due, 4) if self.due else None,
        )


def outcome(state: VisitState, due_by: date, visited_on: date | None, today: date) -> str | None:
    """How one visit counts: on_time, late, missed, open, pending, or None (not due)."""
    if state is VisitState.cancelled:
        return None
    if state is VisitState.done:
        return "on_time" if visited_on is not None and visited_on <= due_by else "late"
    if due_by >= today:
        return "pending"
    return "missed" if state is VisitState.missed else "open"


class CoverageService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    async def coverage(self, user: CurrentUser, code: str, weeks: int) -> CoverageView:
        """The community's on-time share per week: in total, per care tag, per grid."""
        community = await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )
        today = utcnow().astimezone(LOCAL_TZ).date()
        this_monday = today - timedelta(days=today.weekday())
        mondays = [this_monday - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
        first, end = mondays[0], this_monday + timedelta(days=7)

        rows = (
            await self.session.execute(
                select(
                    Visit.state, Visit.due_by, Visit.visited_at, Visit.grid_id, Resident.care_tags
                )
                .join(Resident, Resident.id == Visit.resident_id)
                .where(
                    Visit.community_id == community.id,
                    Visit.due_by >= first,
                    Visit.due_by < end,
                    Visit.state != VisitState.cancelled,
                )
            )
        ).all()
        grids = (
            await self.session.execute(
                select(Grid.id, Grid.code, Grid.name, Grid.name_i18n)
                .where(Grid.community_id == community.id)
                .order_by(Grid.code)
            )
        ).all()

        total: dict[date, Tally] = defaultdict(Tally)
        by_tag: dict[str, dict[date, Tally]] = defaultdict(lambda: defaultdict(Tally))
        by_grid: dict[int | None, dict[date, Tally]] = defaultdict(lambda: defaultdict(Tally))
        for state, due_by, visited_at, grid_id, tags in rows:
            visited_on = visited_at.astimezone(LOCAL_TZ).date() if visited_at else None
            how = outcome(VisitState(state), due_by, visited_on, today)
            if how is None:
                continue
            week = due_by - timedelta(days=due_by.weekday())
            total[week].add(how)
            by_grid[grid_id][week].add(how)
            for tag in set(tags or ()):
                by_tag[tag][week].add(how)

        def series(tallies: dict[date, Tally]) -> list[CoverageWeek]:
            return [tallies.get(m, Tally()).view(m) for m in mondays]

        return CoverageView(
            community=localised_name(community.name, community.name_i18n, self.locale),
            community_code=community.code,
            today=today,
            weeks=mondays,
            total=series(total),
            by_tag=[CoverageSeries(key=t, weeks=series(by_tag[t])) for t in sorted(by_tag)],
            by_grid=[
                CoverageRow(
                    key=g.code,
                    name=localised_name(g.name, g.name_i18n, self.locale),
                    weeks=series(by_grid.get(g.id, {})),
                )
                for g in grids
            ],
        )
