"""Visits recorded on phones with no signal, synced in batches, each record exactly once.

A grid worker's phone queues the visits of a whole shift and sends them when the
network returns, up to 50 in one request (``POST /api/v1/visits/records``). Each record
carries ``ref``, the id of the queued command: the first time a ref arrives it is kept
in ``visit_reports`` and applied; every later arrival (a retry after a lost answer, the
service worker and the page both replaying) is answered ``duplicate`` and writes
nothing. A batch retried whole with its Idempotency-Key gets its first answer again.

A record is **applied** when its sender may record the visit now (the visitor the plan
names, or staff of its grid: the rule table) and the visit is still to be made (planned
or missed). The visit happened whatever the office did meanwhile, so a record is never
lost: when it cannot be applied, because the household was reassigned to someone else
or the visit was recorded first by another, it is **kept** for the office to review
(and the office hears of it), if the sender serves that community. Anyone else is
refused and learns nothing.

One transaction per batch, a fixed number of statements whatever its size: the refs
seen before, the visits (locked against a concurrent record of the same visit), the
reports, the visits' changes, their history rows, then the notices: an urgent finding
to the office at once by push and SMS (one outbox message per visit, whatever the
retries), the records kept to review (one per batch).
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import STAFF_ROLES
from server.accounts.services import CurrentUser
from server.db.base import utcnow
from server.lib.errors import BadRequest
from server.lib.i18n import N_, translate
from server.lib.masking import mask_name
from server.media.models import Media
from server.notify.outbox import LOCAL_TZ, enqueue
from server.people.messaging import office_of
from server.people.models import NotifyVia, Resident
from server.visits.models import ReportOutcome, Visit, VisitEvent, VisitReport, VisitState
from server.visits.rules import VISIT
from server.visits.schemas import VisitRecordBatch, VisitRecordItem, VisitSyncItem, VisitSyncResult
from server.workflow.rules import Actor
from server.workflow.writer import Notice, send

__all__ = ["record_problem", "sync_records", "urgent_notice"]

_VISITS: Table = Visit.__table__  # type: ignore[assignment]
_EVENTS: Table = VisitEvent.__table__  # type: ignore[assignment]
_REPORTS: Table = VisitReport.__table__  # type: ignore[assignment]
_RECORDABLE = (VisitState.planned, VisitState.missed)

_READ = (
    "id",
    "state",
    "version",
    "person_user_id",
    "resident_id",
    "pair_id",
    "sub_district_id",
    "community_id",
    "grid_id",
)

# The visits' changes: one UPDATE, built and compiled once, executed for every row of the
# batch at once (executemany: pipelined on PostgreSQL, in one trip to the connection's
# thread on SQLite). An UPDATE … FROM (VALUES …) would be one statement but compiled anew
# for every batch, which costs more than it saves. The visits are locked by this
# transaction, so the versions read are current; the WHERE clause says so once more.
_CHANGED = (
    "id",
    "version",
    "condition",
    "needs",
    "notes",
    "urgent",
    "visited_at",
    "visit_date",
    "recorded_by",
    "person_user_id",
    "photo",
    "lon",
    "lat",
)


_INSERT_EVENTS = insert(_EVENTS)
_APPLY_ROW = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("b_id"), _VISITS.c.version == bindparam("b_version"))
    .values(
        state=VisitState.done,
        version=bindparam("b_version") + 1,
        updated_at=bindparam("b_now"),
        **{name: bindparam(f"b_{name}") for name in _CHANGED[2:]},
    )
)


async def _apply_all(session: AsyncSession, rows: list[tuple[Any, ...]], now: Any) -> None:
    await session.execute(
        _APPLY_ROW,
        [
            {"b_now": now, **{f"b_{k}": v for k, v in zip(_CHANGED, row, strict=True)}}
            for row in rows
        ],
    )


@functools.cache
def _insert_reports(dialect: str) -> Any:
    """The new reports, skipping refs another request stored first (returns the refs
    this one stored)."""
    insert_ = sqlite_insert if dialect == "sqlite" else pg_insert
    return (
        insert_(_REPORTS)
        .on_conflict_do_nothing(index_elements=["ref"])
        .returning(_REPORTS.c.ref, _REPORTS.c.id)
    )


def _serves(user: CurrentUser, visit: Any) -> bool:
    """Does the sender serve the visit's community (a role of the three teams there), or
    make the visit as its paired party member?"""
    return visit.person_user_id == user.id or any(
        g.role in STAFF_ROLES and g.community_id == visit.community_id for g in user.grants
    )


def record_problem(
    visited_at: datetime, lon: float | None, lat: float | None, now: datetime
) -> str | None:
    """What is wrong with a visit record as sent (a message id), or None: one check for a
    record sent alone and for one in a batch."""
    if (lon is None) != (lat is None):
        return N_("Give both longitude and latitude, or neither")
    if visited_at.tzinfo is None:
        return N_("Give the time of the visit with its time zone")
    if visited_at > now + timedelta(minutes=10):
        return N_("The time of the visit is in the future")
    return None


def urgent_notice(visit: Any, resident_name: str, notes: str, office: Any) -> Notice:
    """An urgent finding on a visit, to the community office at once (push and SMS,
    whatever the quiet hours), once per visit."""
    return Notice(
        event=f"visit:{visit.id}:urgent",
        template="visit.urgent",
        params={"resident": mask_name(resident_name), "notes": notes},
        recipients=office,
        community_id=visit.community_id,
        url=f"/#/visits/{visit.id}",
        urgent=True,
    )


async def sync_records(
    session: AsyncSession, user: CurrentUser, actor: Actor, batch: VisitRecordBatch, locale: str
) -> VisitSyncResult:
    """Store and apply a batch of visit records (see the module's documentation)."""
    items = batch.records
    refs = [item.ref for item in items]
    if len(set(refs)) != len(refs):
        raise BadRequest(N_("Each record in a batch needs its own ref"))
    now = utcnow()
    seen = {
        ref: outcome
        for ref, outcome in (
            await session.execute(
                select(_REPORTS.c.ref, _REPORTS.c.outcome).where(_REPORTS.c.ref.in_(refs))
            )
        ).all()
    }
    fresh = [item for item in items if item.ref not in seen]
    # What the rules need of each visit (not the whole row), locked against a concurrent
    # record of the same visit until this transaction ends.
    visits: dict[int, Any] = {}
    if fresh:
        found = await session.execute(
            select(*(_VISITS.c[name] for name in _READ))
            .where(_VISITS.c.id.in_({item.visit_id for item in fresh}))
            .with_for_update()
        )
        visits = {v.id: v for v in found}
    photos = {item.photo for item in fresh if item.photo}
    own_photos: set[str] = set()
    if photos:
        own_photos = set(
            (
                await session.scalars(
                    select(Media.key).where(Media.key.in_(photos), Media.uploaded_by == user.id)
                )
            ).all()
        )

    decided: dict[str, tuple[str, str | None]] = {}  # ref -> (outcome, reason msgid)
    applied_visits: set[int] = set()
    for item in fresh:
        visit = visits.get(item.visit_id)
        if visit is None or not (VISIT.sees(actor, visit) or _serves(user, visit)):
            decided[item.ref] = ("refused", N_("No such visit"))
            continue
        bad = record_problem(item.visited_at, item.lon, item.lat, now)
        if bad is None and item.photo and item.photo not in own_photos:
            bad = N_("Attach a photo you uploaded yourself")
        if bad is not None:
            decided[item.ref] = ("refused", bad)
        elif (
            visit.state in _RECORDABLE
            and visit.id not in applied_visits
            and VISIT.may(actor, visit, "record")
        ):
            decided[item.ref] = ("recorded", None)
            applied_visits.add(visit.id)
        elif visit.state is VisitState.done or visit.id in applied_visits:
            decided[item.ref] = ("kept", "already_recorded")
        elif visit.state in _RECORDABLE:
            decided[item.ref] = ("kept", "reassigned")
        else:
            decided[item.ref] = ("kept", str(visit.state))

    # The reports first: a ref another request stored meanwhile is that request's.
    stored: dict[str, int] = {}
    to_store = [item for item in fresh if decided[item.ref][0] != "refused"]
    if to_store:
        rows = [
            {
                "ref": item.ref,
                "visit_id": item.visit_id,
                "reporter_user_id": user.id,
                "received_at": now,
                "outcome": ReportOutcome.applied
                if decided[item.ref][0] == "recorded"
                else ReportOutcome.kept,
                "reason": decided[item.ref][1],
                "record": _as_sent(item),
                "reviewed_by": None,
                "reviewed_at": None,
                **Visit.placed_in(visits[item.visit_id]),
            }
            for item in to_store
        ]
        dialect = session.get_bind().dialect.name
        stored = {
            ref: rid for ref, rid in (await session.execute(_insert_reports(dialect), rows)).all()
        }
    applied = [item for item in fresh if decided[item.ref][0] == "recorded" and item.ref in stored]
    if applied:
        await _apply_all(
            session,
            [
                (
                    item.visit_id,
                    visits[item.visit_id].version,
                    item.condition,
                    list(item.needs),
                    item.notes.strip(),
                    item.urgent,
                    item.visited_at,
                    item.visited_at.astimezone(LOCAL_TZ).date(),
                    user.id,
                    visits[item.visit_id].person_user_id or user.id,
                    item.photo,
                    item.lon,
                    item.lat,
                )
                for item in applied
            ],
            now,
        )
        await session.execute(
            _INSERT_EVENTS,
            [
                {
                    "visit_id": item.visit_id,
                    "at": now,
                    "actor_user_id": user.id,
                    "action": "record",
                    "from_state": visits[item.visit_id].state,
                    "to_state": VisitState.done,
                    "note": None,
                    "detail": {"ref": item.ref},
                }
                for item in applied
            ],
        )
    await _notify(session, applied, visits, stored, decided, fresh)

    results = []
    counts = {"recorded": 0, "kept": 0, "duplicate": 0, "refused": 0}
    for item in items:
        if item.ref in seen:
            outcome, reason, first = "duplicate", None, _first(seen[item.ref])
        elif item.ref not in stored and decided[item.ref][0] != "refused":
            outcome, reason, first = "duplicate", None, None  # stored by a concurrent request
        else:
            outcome, why = decided[item.ref]
            reason = translate(why, locale) if outcome == "refused" and why else why
            first = None
        counts[outcome] += 1
        visit = visits.get(item.visit_id)
        results.append(
            VisitSyncItem(
                ref=item.ref,
                visit_id=item.visit_id,
                outcome=outcome,  # type: ignore[arg-type]
                reason=reason,
                first=first,
                version=(visit.version + 1 if outcome == "recorded" else visit.version)
                if visit is not None and outcome in ("recorded", "kept")
                else None,
            )
        )
    return VisitSyncResult(results=results, **counts)


def _first(outcome: Any) -> str:
    return "recorded" if str(outcome) == ReportOutcome.applied else "kept"


def _as_sent(item: VisitRecordItem) -> dict[str, Any]:
    return {
        "condition": str(item.condition),
        "visited_at": item.visited_at.isoformat(),
        "needs": list(item.needs),
        "notes": item.notes,
        "urgent": item.urgent,
        "photo": item.photo,
        "lon": item.lon,
        "lat": item.lat,
    }


async def _notify(
    session: AsyncSession,
    applied: list[VisitRecordItem],
    visits: dict[int, Any],
    stored: dict[str, int],
    decided: dict[str, tuple[str, str | None]],
    fresh: list[VisitRecordItem],
) -> None:
    """An urgent finding to the office at once (push and SMS, whatever the quiet hours),
    one message per visit; the records kept to review, one message per batch and
    community. Written in this transaction: a retried batch writes none again."""
    urgent = [item for item in applied if item.urgent]
    offices: dict[tuple[int, NotifyVia], Any] = {}

    async def office(community_id: int, via: NotifyVia) -> Any:
        if (community_id, via) not in offices:
            offices[(community_id, via)] = await office_of(session, community_id, via)
        return offices[(community_id, via)]

    if urgent:
        names = dict(
            (
                await session.execute(
                    select(Resident.id, Resident.name).where(
                        Resident.id.in_({visits[i.visit_id].resident_id for i in urgent})
                    )
                )
            ).all()
        )
        for item in urgent:
            visit = visits[item.visit_id]
            office_here = await office(visit.community_id, NotifyVia.both)
            await send(
                session,
                urgent_notice(visit, names[visit.resident_id], item.notes.strip(), office_here),
            )
    kept: dict[int, list[int]] = {}
    for item in fresh:
        if decided[item.ref][0] == "kept" and item.ref in stored:
            kept.setdefault(visits[item.visit_id].community_id, []).append(stored[item.ref])
    for community_id, report_ids in kept.items():
        await enqueue(
            session,
            event=f"visit-reports:{min(report_ids)}:kept",
            template="visit.kept",
            params={"count": str(len(report_ids))},
            recipients=await office(community_id, NotifyVia.push),
            community_id=community_id,
            url="/#/visit-reports",
        )
