"""三公开 and 两评: the office's commitments, the two evaluations, and the public page.

Who may do what:

- the community office (``OFFICE_ROLES`` in scope: the community's staff and admin, and
  above them the sub-district and the system administrators) writes the commitments,
  their progress and the residents' evaluation 群众评议 (entered from a survey);
- the level above (a sub-district administrator for its communities, or a system
  administrator) records the upper evaluation 上级评议: a community does not grade itself;
- anyone, without logging in, reads the public page.

Outside the office's scope a community or a commitment is answered 404 (as if it were
not there); a member of the office recording the upper evaluation gets 403.

The public page's figures are counted here, from the cases, wishes and visits of the
community, in two statements; the boards (closure rates and their formulas) are another
package's job and could later take their place (docs/disclosure.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import OFFICE_ROLES, Role
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.cases.models import Case, CaseState, ServiceCategory, ServiceItem
from server.cases.rules import STATE_NAMES
from server.disclosure.models import (
    Commitment,
    CommitmentStatus,
    Evaluation,
    EvaluationKind,
    Grade,
    Period,
)
from server.disclosure.schemas import (
    CaseExample,
    CategoryCount,
    CommitmentEdit,
    CommitmentIn,
    CommitmentView,
    DisclosureEditView,
    EvaluationIn,
    EvaluationView,
    Figures,
    PublicCommitment,
    PublicCommunity,
    PublicDisclosure,
    PublicEvaluation,
    Texts,
)
from server.grids.models import Community, Grid, SubDistrict
from server.grids.services import GridService
from server.lib.errors import BadRequest, Forbidden, NotFound
from server.lib.i18n import N_, localised_name, translate
from server.notify.outbox import LOCAL_TZ
from server.visits.models import Visit, VisitState
from server.wishes.models import Wish
from server.wishes.states import State as WishState

__all__ = ["SUPERIOR_ROLES", "DisclosureService"]

# Who records the level above's evaluation of a community.
SUPERIOR_ROLES = (Role.subdistrict_admin, Role.system_admin)

OPEN_STATES = (CaseState.received, CaseState.accepted, CaseState.dispatched, CaseState.in_progress)
DONE_STATES = (CaseState.resolved, CaseState.closed)
# Only cases about shared things are shown as examples; a case of a personal matter
# (minimum living allowance, pension, a dispute, a certificate …) is counted, never listed:
# its item, grid and date together could point at a household. An allow-list, so a
# category a city adds later stays unlisted until someone decides otherwise.
EXAMPLE_CATEGORIES = frozenset({"housing_repair", "sanitation", "public_safety"})
EXAMPLES = 5

STATUS_NAMES = {
    CommitmentStatus.not_started: N_("not started"),
    CommitmentStatus.in_progress: N_("under way"),
    CommitmentStatus.achieved: N_("achieved"),
    CommitmentStatus.delayed: N_("behind schedule"),
}
PERIOD_NAMES = {
    Period.h1: N_("first half-year"),
    Period.h2: N_("second half-year"),
    Period.year: N_("whole year"),
}
KIND_NAMES = {
    EvaluationKind.residents: N_("residents' evaluation"),
    EvaluationKind.superior: N_("evaluation by the level above"),
}
GRADE_NAMES = {
    Grade.good: N_("good"),
    Grade.fairly_good: N_("fairly good"),
    Grade.fair: N_("fair"),
    Grade.poor: N_("poor"),
}
UNCATEGORISED = N_("other matters")


def _i18n(texts: Texts) -> dict[str, str]:
    return {k: v for k, v in (("zh_Hant", texts.zh_Hant), ("en", texts.en)) if v}


def _in(text: str, i18n: dict[str, str] | None, locale: str) -> str:
    """A text written in zh_Hans, in ``locale`` when a translation was given."""
    if locale != "zh_Hans" and i18n and i18n.get(locale):
        return i18n[locale]
    return text


def _filled(text: str | None) -> str | None:
    """A text as written, trimmed; a text of blanks only is refused."""
    if text is None:
        return None
    if not text.strip():
        raise BadRequest(N_("Write a title and a target"))
    return text.strip()


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The calendar year in the city's time zone, as UTC instants."""
    start = datetime(year, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=LOCAL_TZ).astimezone(UTC)
    return start, end


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(LOCAL_TZ).date() if moment is not None else None


def this_year() -> int:
    return datetime.now(LOCAL_TZ).year


class DisclosureService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    # --- the office ------------------------------------------------------------------------

    async def _office_community(self, user: CurrentUser, code: str) -> Community:
        return await GridService(self.session, self.locale).community(
            code, user.scope_of(OFFICE_ROLES)
        )

    async def _commitment(self, user: CurrentUser, commitment_id: int) -> Commitment:
        row = await self.session.get(Commitment, commitment_id)
        if row is None or not user.scope_of(OFFICE_ROLES).covers(row):
            raise NotFound(N_("No commitment has id {id}"), id=commitment_id)
        return row

    async def _code_of(self, community_id: int) -> str:
        return str(
            await self.session.scalar(select(Community.code).where(Community.id == community_id))
        )

    @staticmethod
    def _view(row: Commitment, code: str) -> CommitmentView:
        return CommitmentView(
            id=row.id,
            community=code,
            year=row.year,
            position=row.position,
            title=row.title,
            title_i18n=dict(row.title_i18n or {}),
            target=row.target,
            target_i18n=dict(row.target_i18n or {}),
            due_date=row.due_date,
            status=row.status,
            progress_note=row.progress_note,
            progress_note_i18n=dict(row.progress_note_i18n or {}),
        )

    @staticmethod
    def _evaluation_view(row: Evaluation, code: str) -> EvaluationView:
        return EvaluationView(
            id=row.id,
            community=code,
            year=row.year,
            period=row.period,
            kind=row.kind,
            grade=row.grade,
            score=row.score,
            respondents=row.respondents,
            note=row.note,
            note_i18n=dict(row.note_i18n or {}),
        )

    async def editor(self, user: CurrentUser, code: str, year: int) -> DisclosureEditView:
        """A community's commitments and evaluations of a year, every language, for the
        office (and the sub-district above it)."""
        community = await self._office_community(user, code)
        commitments = await self._commitments(community.id, year)
        evaluations = await self._evaluations(community.id, year)
        return DisclosureEditView(
            community=code,
            community_name=localised_name(community.name, community.name_i18n, self.locale),
            year=year,
            commitments=[self._view(c, code) for c in commitments],
            evaluations=[self._evaluation_view(e, code) for e in evaluations],
            may_edit=True,
            may_record_superior=user.scope_of(SUPERIOR_ROLES).covers(community),
        )

    async def create(
        self, user: CurrentUser, code: str, data: CommitmentIn, client_ip: str | None
    ) -> CommitmentView:
        community = await self._office_community(user, code)
        row = Commitment(
            **Commitment.placed_in(community),
            year=data.year,
            position=data.position,
            title=_filled(data.title) or "",
            title_i18n=_i18n(data.title_i18n),
            target=_filled(data.target) or "",
            target_i18n=_i18n(data.target_i18n),
            due_date=data.due_date,
            status=CommitmentStatus.not_started,
            progress_note="",
            progress_note_i18n={},
            created_by=user.id,
            updated_by=user.id,
        )
        self.session.add(row)
        await self.session.flush()
        AuditService(self.session).record(
            user.id,
            "commitment.create",
            "commitment",
            row.id,
            where=row,
            client_ip=client_ip,
            year=data.year,
        )
        return self._view(row, code)

    async def update(
        self, user: CurrentUser, commitment_id: int, data: CommitmentEdit, client_ip: str | None
    ) -> CommitmentView:
        row = await self._commitment(user, commitment_id)
        changed: list[str] = []

        def put(field: str, value: Any) -> None:
            if value is not None and getattr(row, field) != value:
                setattr(row, field, value)
                changed.append(field)

        put("title", _filled(data.title))
        put("target", _filled(data.target))
        put("title_i18n", _i18n(data.title_i18n) if data.title_i18n else None)
        put("target_i18n", _i18n(data.target_i18n) if data.target_i18n else None)
        put("position", data.position)
        put("status", data.status)
        put("progress_note", data.progress_note.strip() if data.progress_note is not None else None)
        put(
            "progress_note_i18n",
            _i18n(data.progress_note_i18n) if data.progress_note_i18n else None,
        )
        if data.clear_due_date:
            if row.due_date is not None:
                row.due_date = None
                changed.append("due_date")
        else:
            put("due_date", data.due_date)
        if changed:
            row.updated_by = user.id
            AuditService(self.session).record(
                user.id,
                "commitment.update",
                "commitment",
                row.id,
                where=row,
                client_ip=client_ip,
                fields=sorted(changed),
                status=str(row.status),
            )
            await self.session.flush()
        return self._view(row, await self._code_of(row.community_id))

    async def delete(self, user: CurrentUser, commitment_id: int, client_ip: str | None) -> None:
        row = await self._commitment(user, commitment_id)
        AuditService(self.session).record(
            user.id,
            "commitment.delete",
            "commitment",
            row.id,
            where=row,
            client_ip=client_ip,
            year=row.year,
            title=row.title,
        )
        await self.session.delete(row)
        await self.session.flush()

    async def record_evaluation(
        self, user: CurrentUser, code: str, data: EvaluationIn, client_ip: str | None
    ) -> EvaluationView:
        """Record (or replace) one evaluation of a period. The residents' evaluation is the
        office's to enter; the upper one is the sub-district's."""
        community = await self._office_community(user, code)
        if data.kind is EvaluationKind.superior and not user.scope_of(SUPERIOR_ROLES).covers(
            community
        ):
            raise Forbidden(N_("Only the sub-district above the community records this evaluation"))
        row = await self.session.scalar(
            select(Evaluation).where(
                Evaluation.community_id == community.id,
                Evaluation.year == data.year,
                Evaluation.period == data.period,
                Evaluation.kind == data.kind,
            )
        )
        if row is None:
            row = Evaluation(
                **Evaluation.placed_in(community),
                year=data.year,
                period=data.period,
                kind=data.kind,
            )
            self.session.add(row)
        row.grade = data.grade
        row.score = data.score
        row.respondents = data.respondents
        row.note = data.note.strip()
        row.note_i18n = _i18n(data.note_i18n)
        row.recorded_by = user.id
        await self.session.flush()
        AuditService(self.session).record(
            user.id,
            "evaluation.record",
            "evaluation",
            row.id,
            where=row,
            client_ip=client_ip,
            year=data.year,
            period=str(data.period),
            kind=str(data.kind),
            grade=str(data.grade),
        )
        return self._evaluation_view(row, code)

    # --- reading ---------------------------------------------------------------------------

    async def _commitments(self, community_id: int, year: int) -> Sequence[Commitment]:
        return (
            await self.session.scalars(
                select(Commitment)
                .where(Commitment.community_id == community_id, Commitment.year == year)
                .order_by(Commitment.position, Commitment.id)
            )
        ).all()

    async def _evaluations(self, community_id: int, year: int) -> Sequence[Evaluation]:
        rows = (
            await self.session.scalars(
                select(Evaluation).where(
                    Evaluation.community_id == community_id, Evaluation.year == year
                )
            )
        ).all()
        periods, kinds = list(Period), list(EvaluationKind)
        return sorted(rows, key=lambda e: (periods.index(e.period), kinds.index(e.kind)))

    async def communities(self) -> list[PublicCommunity]:
        """Every community of the city, by sub-district: the public page's picker."""
        rows = (
            await self.session.execute(
                select(
                    Community.code,
                    Community.name,
                    Community.name_i18n,
                    SubDistrict.name,
                    SubDistrict.name_i18n,
                )
                .join(SubDistrict, SubDistrict.id == Community.sub_district_id)
                .order_by(SubDistrict.code, Community.code)
            )
        ).all()
        return [
            PublicCommunity(
                code=code,
                name=localised_name(name, i18n, self.locale),
                sub_district=localised_name(sd_name, sd_i18n, self.locale),
            )
            for code, name, i18n, sd_name, sd_i18n in rows
        ]

    async def public(self, code: str, year: int | None) -> PublicDisclosure:
        """The public page of a community for a year (this year by default)."""
        community = await GridService(self.session, self.locale).community(code)
        year = year or this_year()
        t = self.locale
        commitments = [
            PublicCommitment(
                title=_in(c.title, c.title_i18n, t),
                target=_in(c.target, c.target_i18n, t),
                due_date=c.due_date,
                status=c.status,
                status_label=translate(STATUS_NAMES[c.status], t),
                progress_note=_in(c.progress_note, c.progress_note_i18n, t),
            )
            for c in await self._commitments(community.id, year)
        ]
        evaluations = [
            PublicEvaluation(
                period=e.period,
                period_label=translate(PERIOD_NAMES[e.period], t),
                kind=e.kind,
                kind_label=translate(KIND_NAMES[e.kind], t),
                grade=e.grade,
                grade_label=translate(GRADE_NAMES[e.grade], t),
                score=e.score,
                respondents=e.respondents,
                note=_in(e.note, e.note_i18n, t),
            )
            for e in await self._evaluations(community.id, year)
        ]
        start, end = _year_bounds(year)
        return PublicDisclosure(
            community=code,
            community_name=localised_name(community.name, community.name_i18n, t),
            year=year,
            years=await self._years(community.id, year),
            commitments=commitments,
            figures=await self._figures(community.id, start, end),
            in_progress=await self._examples(community.id, start, end, done=False),
            recently_done=await self._examples(community.id, start, end, done=True),
            evaluations=evaluations,
        )

    async def _years(self, community_id: int, year: int) -> list[int]:
        found = (
            await self.session.scalars(
                union(
                    select(Commitment.year).where(Commitment.community_id == community_id),
                    select(Evaluation.year).where(Evaluation.community_id == community_id),
                )
            )
        ).all()
        return sorted({*found, year, this_year()}, reverse=True)

    async def _figures(self, community_id: int, start: datetime, end: datetime) -> Figures:
        """The year's counts: cases by category and state in one GROUP BY, wishes fulfilled
        and visits made in one more statement."""
        by = (
            await self.session.execute(
                select(ServiceItem.category_id, Case.state, func.count())
                .select_from(Case)
                .outerjoin(ServiceItem, ServiceItem.id == Case.item_id)
                .where(
                    Case.community_id == community_id,
                    Case.created_at >= start,
                    Case.created_at < end,
                    Case.state != CaseState.merged,
                )
                .group_by(ServiceItem.category_id, Case.state)
            )
        ).all()
        counts: dict[int | None, list[int]] = {}
        for category_id, state, n in by:
            c = counts.setdefault(category_id, [0, 0, 0])
            c[0] += n
            if state in OPEN_STATES:
                c[1] += n
            elif state in DONE_STATES:
                c[2] += n
        names: dict[int | None, tuple[int, str]] = {
            None: (10_000, translate(UNCATEGORISED, self.locale))
        }
        wanted = [k for k in counts if k is not None]
        if wanted:
            for cid, name, i18n, position in (
                await self.session.execute(
                    select(
                        ServiceCategory.id,
                        ServiceCategory.name,
                        ServiceCategory.name_i18n,
                        ServiceCategory.position,
                    ).where(ServiceCategory.id.in_(wanted))
                )
            ).all():
                names[cid] = (position, localised_name(name, i18n, self.locale))
        by_category = [
            CategoryCount(category=names[k][1], received=v[0], open=v[1], done=v[2])
            for k, v in sorted(counts.items(), key=lambda kv: (names[kv[0]][0], names[kv[0]][1]))
        ]
        wishes = (
            select(func.count())
            .select_from(Wish)
            .where(
                Wish.community_id == community_id,
                Wish.state.in_((WishState.fulfilled, WishState.confirmed)),
                Wish.fulfilled_at >= start,
                Wish.fulfilled_at < end,
            )
            .scalar_subquery()
        )
        visits = (
            select(func.count())
            .select_from(Visit)
            .where(
                Visit.community_id == community_id,
                Visit.state == VisitState.done,
                Visit.visited_at >= start,
                Visit.visited_at < end,
            )
            .scalar_subquery()
        )
        wishes_fulfilled, visits_made = (await self.session.execute(select(wishes, visits))).one()
        return Figures(
            cases_received=sum(v[0] for v in counts.values()),
            cases_open=sum(v[1] for v in counts.values()),
            cases_done=sum(v[2] for v in counts.values()),
            wishes_fulfilled=int(wishes_fulfilled or 0),
            visits_made=int(visits_made or 0),
            by_category=by_category,
        )

    async def _examples(
        self, community_id: int, start: datetime, end: datetime, *, done: bool
    ) -> list[CaseExample]:
        """A few recent cases of shared things, with nothing of the people in them: only
        columns chosen here are read (never a description, reporter or place)."""
        finished = func.coalesce(Case.closed_at, Case.resolved_at)
        rows = (
            await self.session.execute(
                select(
                    ServiceItem.name,
                    ServiceItem.name_i18n,
                    Grid.name,
                    Grid.name_i18n,
                    Case.state,
                    Case.created_at,
                    Case.resolved_at,
                    Case.closed_at,
                )
                .select_from(Case)
                .join(ServiceItem, ServiceItem.id == Case.item_id)
                .join(ServiceCategory, ServiceCategory.id == ServiceItem.category_id)
                .join(Grid, Grid.id == Case.grid_id)
                .where(
                    Case.community_id == community_id,
                    Case.created_at >= start,
                    Case.created_at < end,
                    Case.state.in_(DONE_STATES if done else OPEN_STATES),
                    ServiceCategory.code.in_(sorted(EXAMPLE_CATEGORIES)),
                )
                .order_by((finished if done else Case.created_at).desc(), Case.id.desc())
                .limit(EXAMPLES)
            )
        ).all()
        return [
            CaseExample(
                item=localised_name(item, item_i18n, self.locale),
                grid=localised_name(grid, grid_i18n, self.locale),
                state=str(state),
                state_label=translate(STATE_NAMES[state], self.locale),
                received_on=_local_day(created) or date.min,
                done_on=_local_day(closed or resolved) if done else None,
            )
            for item, item_i18n, grid, grid_i18n, state, created, resolved, closed in rows
        ]
