"""The boards' rules: which unit a caller may see (the scope rule), the figures with their
formulas in the reader's language, and the exports (each one written in the audit log)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, User
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.boards.exports import Sheet, render
from server.boards.figures import Period, Tally, case_figures, side_by_side
from server.boards.schemas import BoardView, FigureView, UnitFigures
from server.cases.models import Case, CaseState, ServiceItem
from server.cases.rules import state_name
from server.db.base import utcnow
from server.grids.models import Community, Grid, SubDistrict
from server.lib.errors import BadRequest, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.lib.masking import mask_name
from server.notify.outbox import LOCAL_TZ
from server.people.models import Resident

__all__ = ["LEVELS", "BoardService", "period_of"]

LEVELS = ("grid", "community", "sub_district")
_MODEL: dict[str, Any] = {"grid": Grid, "community": Community, "sub_district": SubDistrict}
_CHILD = {"community": "grid", "sub_district": "community"}
_PARENT_COLUMN = {"grid": "community_id", "community": "sub_district_id"}
# A board over more than this is a mistake (and a heavy query).
MAX_DAYS = 3 * 366
# A case list export stops here (the community's cases of three years fit).
MAX_EXPORT_ROWS = 100_000

NO_SUCH_UNIT = N_("No {level} has code {code}")
LEVEL_NAMES = {
    "grid": N_("grid"),
    "community": N_("community"),
    "sub_district": N_("sub-district"),
}

# Each figure: its label, its formula (with the numbers), what counts, what does not.
FORMULAS: dict[str, tuple[str, str, str, str]] = {
    "received": (
        N_("Received"),
        N_("cases received {value}"),
        N_("Cases taken in (created) in the period in this unit, any channel"),
        N_(
            "Not counted: cases merged into another (counted once, under that case)"
            " {merged}; cases not accepted 不予受理 {rejected}"
        ),
    ),
    "closed": (
        N_("Closed"),
        N_("of the received, closed by the end of the period {value}"),
        N_("Received cases verified done and closed by the last day of the period"),
        N_("Not counted: resolved but not yet verified; closed after the period; reopened"),
    ),
    "closure_rate": (
        N_("Closure rate 办结率"),
        N_("closed {num} ÷ received {den} = {display}"),
        N_("Both counted over the cases received in the period (see Received and Closed)"),
        N_("Merged and not-accepted cases are in neither number"),
    ),
    "on_time_rate": (
        N_("On-time rate"),
        N_("closed on time {num} ÷ closed {den} = {display}"),
        N_("On time: resolved by the deadline in force, approved extensions included"),
        N_(
            "Not on time: resolved after the deadline, or escalated by the deadline watch"
            " (it then gets fresh time one level up: it still counts as late)"
        ),
    ),
    "avg_hours": (
        N_("Average handling time"),
        N_("working hours of the closed {num} ÷ closed {den} = {display}"),
        N_(
            "Working hours from intake to closing, in the community's working periods;"
            " official holidays off, 调休 weekend days worked"
        ),
        N_("Not counted: cases not closed; nights, weekends and holidays"),
    ),
    "p90_hours": (
        N_("Handling time, 90th percentile"),
        N_("90% of the {den} closed cases took at most {display} (linear interpolation)"),
        N_("Working hours from intake to closing of the closed cases"),
        N_("Not counted: cases not closed"),
    ),
    "satisfied_share": (
        N_("Satisfied"),
        N_("satisfied and fairly satisfied {num} ÷ rated {den} = {display}"),
        N_("Closed cases rated at the callback 回访: 1 满意 and 2 基本满意 count as satisfied"),
        N_("Not counted: closed cases not rated yet; 3 不满意 is rated but not satisfied"),
    ),
    "avg_score": (
        N_("Average rating"),
        N_("sum of scores {num} ÷ rated {den} = {display} (of 3)"),
        N_("Score per rated case: 满意 3, 基本满意 2, 不满意 1"),
        N_("Not counted: closed cases not rated yet"),
    ),
    "reworks": (
        N_("Reworks"),
        N_("reworks of the received {value}"),
        N_("A resolved case sent back for more work, or a closed case reopened"),
        N_("Not counted: merged and not-accepted cases"),
    ),
    "escalations": (
        N_("Escalations"),
        N_("escalations of the received {value}"),
        N_("Each step up a level, by staff or by the deadline watch"),
        N_("Not counted: merged and not-accepted cases"),
    ),
}

BAD_PERIOD = N_("The period must start on or before its end and cover at most three years")


def period_of(start: date | None, end: date | None) -> Period:
    """The period asked for; by default from the first of this month to today (local)."""
    today = utcnow().astimezone(LOCAL_TZ).date()
    end = end or today
    start = start or end.replace(day=1)
    if start > end or (end - start).days > MAX_DAYS:
        raise BadRequest(BAD_PERIOD)
    return Period(start, end)


def _percent(value: float) -> str:
    return f"{Decimal(value * 100).quantize(Decimal('0.01'), ROUND_HALF_UP)}%"


def _hours(value: float, locale: str) -> str:
    number = Decimal(value).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return translate(N_("{hours} h"), locale, hours=str(number))


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.2f}"


@dataclass(frozen=True, slots=True)
class _Unit:
    level: str
    id: int
    code: str
    name: str


class BoardService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    def _t(self, message: str, **params: object) -> str:
        return translate(message, self.locale, **params)

    async def _unit(self, user: CurrentUser, level: str, code: str) -> Any:
        """The unit, if the caller's staff scope covers it; 404 otherwise (they learn
        nothing, not even whether it exists)."""
        model = _MODEL[level]
        unit = await self.session.scalar(select(model).where(model.code == code))
        if unit is None or not user.scope.covers(unit):
            raise NotFound(NO_SUCH_UNIT, level=self._t(LEVEL_NAMES[level]), code=code)
        return unit

    def _named(self, level: str, row: Any) -> _Unit:
        return _Unit(level, row.id, row.code, localised_name(row.name, row.name_i18n, self.locale))

    # --- the figures ----------------------------------------------------------------------

    def figure(self, key: str, t: Tally) -> FigureView:
        label, formula, counts, excludes = FORMULAS[key]
        num: float | None
        den: float | None
        value: float | None
        if key in ("received", "closed", "reworks", "escalations"):
            value = float(getattr(t, key))
            num, den, display = value, None, _number(value)
        elif key == "closure_rate":
            num, den, value = t.closed, t.received, t.closure_rate
        elif key == "on_time_rate":
            num, den, value = t.on_time, t.closed, t.on_time_rate
        elif key == "avg_hours":
            num, den, value = round(t.hours_sum, 2), t.hours_count, t.avg_hours
        elif key == "p90_hours":
            num, den, value = None, t.hours_count, t.p90_hours
        elif key == "satisfied_share":
            num, den, value = t.satisfied, t.rated, t.satisfied_share
        else:  # avg_score
            num, den, value = t.score_sum, t.rated, t.avg_score
        if key not in ("received", "closed", "reworks", "escalations"):
            if value is None:
                display = "—"
            elif key.endswith("hours"):
                display = _hours(value, self.locale)
            elif key == "avg_score":
                display = str(Decimal(value).quantize(Decimal("0.01"), ROUND_HALF_UP))
            else:
                display = _percent(value)
        params = {
            "value": display,
            "display": display,
            "num": "—" if num is None else _number(num),
            "den": "—" if den is None else _number(den),
            "merged": t.merged,
            "rejected": t.rejected,
        }
        return FigureView(
            key=key,
            label=self._t(label),
            value=value,
            display=display,
            numerator=None if num is None else float(num),
            denominator=None if den is None else float(den),
            formula=self._t(formula, **params),
            counts=self._t(counts),
            excludes=self._t(excludes, **params),
        )

    def _figures(self, unit: _Unit, t: Tally) -> UnitFigures:
        return UnitFigures(
            level=unit.level,
            code=unit.code,
            name=unit.name,
            figures=[self.figure(k, t) for k in FORMULAS],
        )

    async def board(
        self, user: CurrentUser, level: str, code: str, start: date | None, end: date | None
    ) -> BoardView:
        """A unit's figures over a period, and its children side by side."""
        period = period_of(start, end)
        row = await self._unit(user, level, code)
        unit = self._named(level, row)
        scope = user.scope
        children: list[UnitFigures] = []
        child = _CHILD.get(level)
        if child is None:
            mine = (
                await case_figures(self.session, scope, period, level=level, unit_id=unit.id)
            ).get(unit.id, Tally())
        else:
            model = _MODEL[child]
            rows = (
                await self.session.execute(
                    select(model.id, model.code, model.name, model.name_i18n)
                    .where(getattr(model, _PARENT_COLUMN[child]) == unit.id)
                    .order_by(model.code)
                )
            ).all()
            mine, by_child = await side_by_side(
                self.session, scope, period, level=level, unit_id=unit.id, by=child
            )
            children = [
                self._figures(self._named(child, r), by_child.get(r.id, Tally())) for r in rows
            ]
        return BoardView(
            start=period.start,
            end=period.end,
            unit=self._figures(unit, mine),
            children=children,
        )

    # --- exports --------------------------------------------------------------------------

    async def board_export(
        self,
        user: CurrentUser,
        level: str,
        code: str,
        start: date | None,
        end: date | None,
        fmt: str,
        client_ip: str | None,
    ) -> tuple[bytes, str]:
        """The board as a sheet: one row per unit and figure, with its formula."""
        view = await self.board(user, level, code, start, end)
        head = [
            self._t(N_("Level")),
            self._t(N_("Code")),
            self._t(N_("Name")),
            self._t(N_("Figure")),
            self._t(N_("Value")),
            self._t(N_("Numerator")),
            self._t(N_("Denominator")),
            self._t(N_("Formula")),
            self._t(N_("What counts")),
            self._t(N_("What does not")),
        ]
        rows: list[list[Any]] = []
        for unit in [view.unit, *view.children]:
            for f in unit.figures:
                rows.append(
                    [
                        self._t(LEVEL_NAMES[unit.level]),
                        unit.code,
                        unit.name,
                        f.label,
                        f.display,
                        f.numerator,
                        f.denominator,
                        f.formula,
                        f.counts,
                        f.excludes,
                    ]
                )
        title = self._t(N_("Case figures {start} to {end}"), start=view.start, end=view.end)
        body = render(fmt, Sheet(title, head, rows))
        unit_row = await self._unit(user, level, code)
        AuditService(self.session).record(
            user.id,
            "export_case_board",
            level,
            code,
            where=unit_row,
            client_ip=client_ip,
            format=fmt,
            filters={"level": level, "code": code, "from": str(view.start), "to": str(view.end)},
            rows=len(rows),
        )
        return body, f"case-board-{code}-{view.start}-{view.end}.{fmt}"

    async def case_list_export(
        self,
        user: CurrentUser,
        code: str,
        start: date | None,
        end: date | None,
        state: CaseState | None,
        fmt: str,
        client_ip: str | None,
    ) -> tuple[bytes, str]:
        """A community's cases received in the period, for its office: the reporter masked
        (family name only), no phone, no address, no description."""
        period = period_of(start, end)
        community = await self.session.scalar(select(Community).where(Community.code == code))
        if community is None or not user.scope_of(OFFICE_ROLES).covers(community):
            raise NotFound(NO_SUCH_UNIT, level=self._t(LEVEL_NAMES["community"]), code=code)
        where: list[Any] = [
            Case.community_id == community.id,
            Case.created_at >= period.since,
            Case.created_at < period.until,
        ]
        if state is not None:
            where.append(Case.state == state)
        found: Sequence[Any] = (
            await self.session.execute(
                select(
                    Case,
                    ServiceItem.name,
                    ServiceItem.name_i18n,
                    Grid.name,
                    Grid.name_i18n,
                    User.name,
                    Resident.name,
                )
                .outerjoin(ServiceItem, ServiceItem.id == Case.item_id)
                .join(Grid, Grid.id == Case.grid_id)
                .outerjoin(User, User.id == Case.reporter_user_id)
                .outerjoin(Resident, Resident.id == Case.resident_id)
                .where(*where)
                .order_by(Case.id)
                .limit(MAX_EXPORT_ROWS)
            )
        ).all()
        head = [
            self._t(N_("Number")),
            self._t(N_("Service item")),
            self._t(N_("Channel")),
            self._t(N_("State")),
            self._t(N_("Level")),
            self._t(N_("Grid")),
            self._t(N_("Reporter")),
            self._t(N_("Received at")),
            self._t(N_("Due")),
            self._t(N_("Closed at")),
            self._t(N_("Handling time (working hours)")),
            self._t(N_("On time")),
            self._t(N_("Satisfaction")),
            self._t(N_("Reworks")),
            self._t(N_("Escalations")),
        ]
        yes, no = self._t(N_("yes")), self._t(N_("no"))
        rows: list[list[Any]] = []
        for c, item, item_i18n, grid, grid_i18n, user_name, resident_name in found:
            reporter = resident_name or user_name
            rows.append(
                [
                    c.number,
                    localised_name(item, item_i18n, self.locale) if item else "",
                    c.channel.value,
                    self._t(state_name(c.state)),
                    self._t(LEVEL_NAMES.get(c.level.value, c.level.value)),
                    localised_name(grid, grid_i18n, self.locale),
                    mask_name(reporter) if reporter else "",
                    _local(c.created_at),
                    _local(c.due_at),
                    _local(c.closed_at),
                    c.handling_hours,
                    None if c.on_time is None else (yes if c.on_time else no),
                    c.satisfaction,
                    c.reworks,
                    c.escalations,
                ]
            )
        title = self._t(N_("Cases {start} to {end}"), start=period.start, end=period.end)
        body = render(fmt, Sheet(title, head, rows))
        AuditService(self.session).record(
            user.id,
            "export_cases",
            "community",
            code,
            where=community,
            client_ip=client_ip,
            format=fmt,
            filters={
                "code": code,
                "from": str(period.start),
                "to": str(period.end),
                "state": state.value if state else None,
            },
            rows=len(rows),
        )
        return body, f"cases-{code}-{period.start}-{period.end}.{fmt}"


def _local(at: datetime | None) -> str:
    return "" if at is None else at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
