"""The visit records the office reviews: what phones sent that could not be applied.

A record synced from a phone is **kept** (:mod:`server.visits.sync`) when the household
was reassigned meanwhile, someone else recorded the visit first, or the visit was no
longer to be made; the office is told and reviews it here (``/#/visit-reports``):

- **apply**: the household's visit happened, so the visit is recorded from the report,
  attributed to the reporter (who made it), through the workflow core's transition
  writer like every other record (its rule, its history row, its version check), if
  the visit is still to be made (planned or missed);
- **dismiss**: set aside with a note saying why (a duplicate of the other record …).

A report is reviewed once: the review is claimed by one conditional UPDATE (still
unreviewed), so of two clerks deciding at once exactly one wins and the other gets 409.
Each review is audited, like the office's other decisions on visits (the care roster,
pairs). Who may review: the community office in scope (``visit.review``); staff who see
the report but are not the office are refused (403), everyone else learns nothing (404).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from server.accounts.models import CAPABILITIES, STAFF_ROLES, User
from server.accounts.services import CurrentUser
from server.audit.services import AuditService
from server.db.base import utcnow
from server.grids.models import Building
from server.grids.services import GridService
from server.lib.errors import BadRequest, Conflict, Forbidden, NotFound
from server.lib.i18n import N_
from server.lib.masking import mask_name
from server.notify.outbox import LOCAL_TZ
from server.people.messaging import office_of
from server.people.models import NotifyVia, Resident
from server.visits.models import (
    ReportOutcome,
    ReviewDecision,
    Visit,
    VisitEvent,
    VisitReport,
    VisitState,
)
from server.visits.rules import VISIT
from server.visits.schemas import (
    ReportState,
    SentRecord,
    VisitReportPage,
    VisitReportReview,
    VisitReportView,
)
from server.visits.sync import urgent_notice
from server.workflow.rules import Actor
from server.workflow.writer import Change, Notice, write_change

__all__ = ["REVIEWERS", "VisitReportService"]

# Who reviews kept reports: the capability's role group (the community office and above).
REVIEWERS = CAPABILITIES["visit.review"]
NO_SUCH_REPORT = N_("No such visit record")
REVIEWED = N_("This visit record has been reviewed already; reload the list")
STALE = N_("Someone changed this visit first; reload it")
_RECORDABLE = (VisitState.planned, VisitState.missed)

_Reporter = aliased(User, name="reporter")
_Visitor = aliased(User, name="visitor")
_Reviewer = aliased(User, name="reviewer")


def _when(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except (TypeError, ValueError):
        return None


class VisitReportService:
    def __init__(self, session: AsyncSession, locale: str = "zh_Hans") -> None:
        self.session = session
        self.locale = locale

    # --- the list ---------------------------------------------------------------------

    async def page(
        self, user: CurrentUser, code: str, state: ReportState, limit: int, offset: int
    ) -> VisitReportPage:
        """A page of a community's kept reports, open or reviewed, in three statements
        whatever the page's size (the community, the count, the page with its visit,
        resident, building and people joined)."""
        community = await GridService(self.session, self.locale).community(
            code, user.scope_of(REVIEWERS)
        )
        where = [
            VisitReport.community_id == community.id,
            # Written out, not a parameter: the planner then uses the partial index of
            # the kept reports (a bound value cannot prove the index's condition).
            VisitReport.outcome
            == literal(ReportOutcome.kept, VisitReport.outcome.type, literal_execute=True),
            VisitReport.reviewed_at.is_(None)
            if state == "open"
            else VisitReport.reviewed_at.is_not(None),
        ]
        total = await self.session.scalar(
            select(func.count()).select_from(VisitReport).where(*where)
        )
        order = (
            (VisitReport.received_at, VisitReport.id)
            if state == "open"
            else (VisitReport.reviewed_at.desc(), VisitReport.id.desc())
        )
        items = await self._views(*where, order=order, limit=limit, offset=offset)
        return VisitReportPage(total=int(total or 0), items=items, limit=limit, offset=offset)

    async def _views(
        self,
        *where: ColumnElement[bool],
        order: tuple[Any, ...] = (VisitReport.id,),
        limit: int | None = None,
        offset: int = 0,
    ) -> list[VisitReportView]:
        query = (
            select(
                VisitReport,
                Visit.state.label("visit_state"),
                Visit.version.label("visit_version"),
                Visit.due_by,
                Visit.visit_date,
                Visit.window,
                Visit.person_user_id,
                Resident.name.label("resident"),
                Building.name.label("building"),
                _Reporter.name.label("reporter"),
                _Visitor.name.label("visitor"),
                _Reviewer.name.label("reviewer"),
            )
            .join(Visit, Visit.id == VisitReport.visit_id)
            .join(Resident, Resident.id == Visit.resident_id)
            .outerjoin(Building, Building.id == Resident.building_id)
            .join(_Reporter, _Reporter.id == VisitReport.reporter_user_id)
            .outerjoin(_Visitor, _Visitor.id == Visit.person_user_id)
            .outerjoin(_Reviewer, _Reviewer.id == VisitReport.reviewed_by)
            .where(*where)
            .order_by(*order)
            .offset(offset)
        )
        if limit is not None:
            query = query.limit(limit)
        views = []
        for row in (await self.session.execute(query)).all():
            report: VisitReport = row.VisitReport
            sent = report.record or {}
            views.append(
                VisitReportView(
                    id=report.id,
                    visit_id=report.visit_id,
                    visit_state=row.visit_state,
                    visit_version=row.visit_version,
                    due_by=row.due_by,
                    visit_date=row.visit_date,
                    window=row.window,
                    resident=mask_name(row.resident or ""),
                    building=row.building,
                    reporter_id=report.reporter_user_id,
                    reporter=row.reporter,
                    visitor_id=row.person_user_id,
                    visitor=row.visitor,
                    received_at=report.received_at,
                    reason=report.reason or "",
                    sent=SentRecord(
                        condition=sent.get("condition"),
                        visited_at=_when(sent.get("visited_at")),
                        needs=list(sent.get("needs") or []),
                        notes=str(sent.get("notes") or ""),
                        urgent=bool(sent.get("urgent")),
                        photo=sent.get("photo"),
                    ),
                    state="open" if report.reviewed_at is None else "reviewed",
                    recordable=report.reviewed_at is None and row.visit_state in _RECORDABLE,
                    decision=str(report.decision) if report.decision else None,
                    review_note=report.review_note,
                    reviewed_by=row.reviewer,
                    reviewed_at=report.reviewed_at,
                )
            )
        return views

    # --- the review ---------------------------------------------------------------------

    async def review(
        self, user: CurrentUser, report_id: int, data: VisitReportReview, client_ip: str | None
    ) -> VisitReportView:
        """Apply or dismiss a kept report, once (see the module's documentation)."""
        report = await self.session.get(VisitReport, report_id, populate_existing=True)
        if report is None or report.outcome is not ReportOutcome.kept:
            raise NotFound(NO_SUCH_REPORT)
        actor = Actor(user)
        if not actor.scope(REVIEWERS).covers(report):
            if actor.scope(STAFF_ROLES).covers(report) or report.reporter_user_id == user.id:
                raise Forbidden(N_("Only the community office can review visit records"))
            raise NotFound(NO_SUCH_REPORT)
        if report.reviewed_at is not None:
            raise Conflict(REVIEWED, error_code="reviewed")
        note = data.note.strip()
        if data.decision == "dismiss" and not note:
            raise BadRequest(N_("Say why this visit record is not used"))
        visit: Visit | None = None
        if data.decision == "apply":
            visit = await self.session.get(Visit, report.visit_id, populate_existing=True)
            if visit is None:
                raise NotFound(NO_SUCH_REPORT)
            VISIT.check(actor, visit, "record")  # 409 once the visit is done or cancelled

        await self._claim(report, user, data.decision, note or None)
        if visit is not None:
            await self._apply(actor, report, visit, data.expected_version)
        AuditService(self.session).record(
            user.id,
            f"visit_report.{data.decision}",
            "visit_report",
            report.id,
            where=report,
            client_ip=client_ip,
            visit_id=report.visit_id,
        )
        await self.session.flush()
        return (await self._views(VisitReport.id == report.id))[0]

    async def _claim(
        self, report: VisitReport, user: CurrentUser, decision: str, note: str | None
    ) -> None:
        """Mark the report reviewed if nobody did meanwhile: one conditional UPDATE, so of
        two clerks at once exactly one matches (on SQLite the loser may see the database
        locked instead: the same conflict)."""
        try:
            result = await self.session.execute(
                update(VisitReport)
                .where(VisitReport.id == report.id, VisitReport.reviewed_at.is_(None))
                .values(
                    reviewed_by=user.id,
                    reviewed_at=utcnow(),
                    decision=ReviewDecision.applied
                    if decision == "apply"
                    else ReviewDecision.dismissed,
                    review_note=note,
                )
                .execution_options(synchronize_session=False)
            )
        except OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise Conflict(REVIEWED, error_code="reviewed") from exc
            raise
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(REVIEWED, error_code="reviewed")
        await self.session.refresh(report)

    async def _apply(
        self, actor: Actor, report: VisitReport, visit: Visit, expected_version: int | None
    ) -> None:
        """Record the visit from the report, as its reporter made it; the history row names
        the clerk who decided and the report it came from."""
        sent = report.record or {}
        visited_at = _when(sent.get("visited_at")) or report.received_at
        values = {
            "condition": sent.get("condition"),
            "needs": list(sent.get("needs") or []),
            "notes": str(sent.get("notes") or "").strip(),
            "urgent": bool(sent.get("urgent")),
            "visited_at": visited_at,
            "visit_date": visited_at.astimezone(LOCAL_TZ).date(),
            "recorded_by": report.reporter_user_id,
            "person_user_id": report.reporter_user_id,
            "photo": sent.get("photo"),
            "lon": sent.get("lon"),
            "lat": sent.get("lat"),
        }

        def history(
            *, actor_id: int | None, action: str, from_state: Any, to_state: Any, note: str | None
        ) -> VisitEvent:
            return VisitEvent(
                visit_id=visit.id,
                actor_user_id=actor_id,
                action=action,
                from_state=from_state,
                to_state=to_state,
                note=note,
                detail={"report": report.id, "reporter": report.reporter_user_id},
            )

        async def notices(v: Visit) -> list[Notice]:
            if not v.urgent:
                return []
            name = await self.session.scalar(
                select(Resident.name).where(Resident.id == v.resident_id)
            )
            office = await office_of(self.session, v.community_id, NotifyVia.both)
            return [urgent_notice(v, str(name or ""), v.notes, office)]

        await write_change(
            self.session,
            visit,
            Change("record", VISIT.target(visit.state, "record"), values),
            actor_id=actor.id,
            history=history,
            expected_version=expected_version,
            notices=notices,
            stale=STALE,
        )
