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
seen before, the visits with their residents' names (locked against a concurrent record
of the same visit), the reports, the visits' changes, their history rows, then the
notices: an urgent finding to the office at once by push and SMS (one outbox message per
visit, whatever the retries), the records kept to review (one per batch). On PostgreSQL
the reads are one statement and the three writes another (each round trip costs the app
more CPU than the database spends on a batch's rows); SQLite runs in process and takes
them one by one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import msgspec
from sqlalchemy import Table, bindparam, insert, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import STAFF_ROLES
from server.accounts.services import CurrentUser
from server.db.base import utcnow
from server.db.core import end_writes
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

# The reads and the writes of a batch on PostgreSQL.
#
# Each is one statement whatever the batch's size, so the SQL text never changes and the
# server plans it once per connection. The reads take the batch's refs, visits and
# photos as arrays; the writes take the records to store as one JSON document, which
# ``json_to_recordset`` turns back into rows: encoded by msgspec in one call, it costs
# the app about 0.5 ms less a batch of 50 than twenty-one arrays, each of whose elements
# the driver inspects one by one. Sent row by row instead (executemany), every row is its
# own Bind/Execute on the server and its own parameter processing here, which cost three
# times as much per batch of 50; and every further round trip costs the app more CPU
# than the database spends on a batch's rows, so the three writes (the reports, the
# visits' changes, their history rows) are one statement of data-modifying CTEs: a
# visit is changed only if its report was stored by this statement (a ref another
# request stored first is that request's), and its history row only if it was changed.
#
# On SQLite, which has no arrays and runs in-process, the same writes are one compiled
# statement executed for every row at once (one trip to the connection's thread).
# The visits are locked by this transaction, so the versions read are current; the
# UPDATE's WHERE clause says so once more.
#
# What each stored record carries, with its PostgreSQL type for json_to_recordset: the
# report's columns, then (for a record applied) the visit's changes.
_PG_WRITE_COLUMNS = {
    "ref": "varchar",
    "visit_id": "integer",
    "outcome": "varchar",
    "reason": "varchar",
    "record": "json",
    "sub_district_id": "integer",
    "community_id": "integer",
    "grid_id": "integer",
    "from_state": "varchar",
    "version": "integer",
    "condition": "varchar",
    "needs": "json",
    "notes": "text",
    "urgent": "boolean",
    "visited_at": "timestamptz",
    "visit_date": "date",
    "recorded_by": "integer",
    "person_user_id": "integer",
    "photo": "varchar",
    "lon": "float8",
    "lat": "float8",
}
_REPORT_COLUMNS = tuple(_PG_WRITE_COLUMNS)[:8]
# The columns a record changes (after the report's, from_state and version).
_CHANGED = tuple(_PG_WRITE_COLUMNS)[10:]


def _recordset(columns: dict[str, str]) -> str:
    kinds = ", ".join(f"{name} {kind}" for name, kind in columns.items())
    return f"json_to_recordset(CAST(:rows AS json)) AS u({kinds})"


_PG_READ = text(
    "WITH seen AS (SELECT array_agg(ref) AS refs, array_agg(CAST(outcome AS varchar)) "  # noqa: S608 (constants)
    "AS outcomes FROM visit_reports WHERE ref = ANY(CAST(:refs AS varchar[]))), "
    "own AS (SELECT array_agg(key) AS photos FROM media "
    "WHERE key = ANY(CAST(:photos AS varchar[])) AND uploaded_by = :user_id), "
    f"locked AS MATERIALIZED (SELECT {', '.join('v.' + c for c in _READ)}, "
    "r.name AS resident_name FROM visits AS v LEFT JOIN residents AS r "
    "ON r.id = v.resident_id WHERE v.id = ANY(CAST(:ids AS integer[])) FOR UPDATE OF v) "
    "SELECT seen.refs AS seen_refs, seen.outcomes AS seen_outcomes, own.photos AS own_photos, "
    "locked.* FROM seen, own LEFT JOIN locked ON true"
)
_PG_WRITE = text(
    f"WITH u AS MATERIALIZED (SELECT * FROM {_recordset(_PG_WRITE_COLUMNS)}), "  # noqa: S608 (constants)
    "r AS (INSERT INTO visit_reports (ref, visit_id, reporter_user_id, received_at, outcome, "
    "reason, record, sub_district_id, community_id, grid_id) "
    "SELECT u.ref, u.visit_id, :user_id, :now, u.outcome, u.reason, u.record, "
    "u.sub_district_id, u.community_id, u.grid_id FROM u "
    "ON CONFLICT (ref) DO NOTHING RETURNING ref, id), "
    "a AS (UPDATE visits AS v SET state = 'done', version = v.version + 1, updated_at = :now, "
    "condition = u.condition, needs = u.needs, notes = u.notes, "
    "urgent = u.urgent, visited_at = u.visited_at, visit_date = u.visit_date, "
    "recorded_by = u.recorded_by, person_user_id = u.person_user_id, photo = u.photo, "
    "lon = u.lon, lat = u.lat FROM u JOIN r ON r.ref = u.ref "
    f"WHERE u.outcome = '{ReportOutcome.applied}' AND v.id = u.visit_id "
    "AND v.version = u.version RETURNING v.id, u.ref, u.from_state), "
    "e AS (INSERT INTO visit_events (visit_id, at, actor_user_id, action, from_state, "
    "to_state, note, detail) SELECT a.id, :now, :user_id, 'record', a.from_state, "
    f"'{VisitState.done}', NULL, json_build_object('ref', a.ref) FROM a) "
    "SELECT ref, id FROM r"
)

_INSERT_EVENTS = insert(_EVENTS)
_APPLY_ROW = (
    update(_VISITS)
    .where(_VISITS.c.id == bindparam("b_id"), _VISITS.c.version == bindparam("b_version"))
    .values(
        state=VisitState.done,
        version=bindparam("b_version") + 1,
        updated_at=bindparam("b_now"),
        **{name: bindparam(f"b_{name}") for name in _CHANGED},
    )
)
_SQLITE_INSERT_REPORTS = (
    sqlite_insert(_REPORTS)
    .on_conflict_do_nothing(index_elements=["ref"])
    .returning(_REPORTS.c.ref, _REPORTS.c.id)
)


async def _read(
    session: AsyncSession, user: CurrentUser, items: list[VisitRecordItem]
) -> tuple[dict[str, Any], dict[int, Any], set[str]]:
    """The refs stored before (with their outcome), the visits of the new records with
    their residents' names (locked until this transaction ends), and which of the photos
    the sender uploaded."""
    refs = [item.ref for item in items]
    if _is_postgres(session):
        rows = (
            await session.execute(
                _PG_READ,
                {
                    "refs": refs,
                    "photos": sorted({item.photo for item in items if item.photo}),
                    "user_id": user.id,
                    "ids": sorted({item.visit_id for item in items}),
                },
            )
        ).all()
        first = rows[0]
        seen = dict(zip(first.seen_refs or [], first.seen_outcomes or [], strict=True))
        visits = {
            row.id: SimpleNamespace(
                **{name: getattr(row, name) for name in _READ},
                resident_name=row.resident_name,
            )
            for row in rows
            if row.id is not None
        }
        for visit in visits.values():
            visit.state = VisitState(visit.state)
        return seen, visits, set(first.own_photos or [])
    seen = dict(
        (
            await session.execute(
                select(_REPORTS.c.ref, _REPORTS.c.outcome).where(_REPORTS.c.ref.in_(refs))
            )
        ).all()
    )
    fresh = [item for item in items if item.ref not in seen]
    found: dict[int, Any] = {}
    if fresh:
        found = {
            v.id: v
            for v in await session.execute(
                select(
                    *(_VISITS.c[name] for name in _READ),
                    Resident.name.label("resident_name"),
                )
                .outerjoin(Resident, Resident.id == _VISITS.c.resident_id)
                .where(_VISITS.c.id.in_({item.visit_id for item in fresh}))
                .with_for_update(of=_VISITS)
            )
        }
    photos = {item.photo for item in fresh if item.photo}
    own: set[str] = set()
    if photos:
        own = set(
            (
                await session.scalars(
                    select(Media.key).where(Media.key.in_(photos), Media.uploaded_by == user.id)
                )
            ).all()
        )
    return seen, found, own


async def _write(
    session: AsyncSession, rows: list[dict[str, Any]], user_id: int, now: datetime
) -> dict[str, int]:
    """Store the reports, skipping refs another request stored first, and apply those
    stored as ``applied`` (the visit's change and its history row): the refs this request
    stored, with their ids."""
    if _is_postgres(session):
        result = await session.execute(
            _PG_WRITE,
            {"rows": msgspec.json.encode(rows).decode(), "user_id": user_id, "now": now},
        )
        return {ref: rid for ref, rid in result.all()}
    result = await session.execute(
        _SQLITE_INSERT_REPORTS,
        [
            {
                **{k: row[k] for k in _REPORT_COLUMNS},
                "reporter_user_id": user_id,
                "received_at": now,
                "reviewed_by": None,
            }
            for row in rows
        ],
    )
    stored = {ref: rid for ref, rid in result.all()}
    applied = [
        row for row in rows if row["outcome"] == ReportOutcome.applied and row["ref"] in stored
    ]
    if applied:
        await session.execute(
            _APPLY_ROW,
            [
                {"b_now": now, "b_id": row["visit_id"], "b_version": row["version"]}
                | {f"b_{k}": row[k] for k in _CHANGED}
                for row in applied
            ],
        )
        await session.execute(
            _INSERT_EVENTS,
            [
                {
                    "visit_id": row["visit_id"],
                    "at": now,
                    "actor_user_id": user_id,
                    "action": "record",
                    "from_state": row["from_state"],
                    "to_state": VisitState.done,
                    "note": None,
                    "detail": {"ref": row["ref"]},
                }
                for row in applied
            ],
        )
    return stored


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


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
    seen, visits, own_photos = await _read(session, user, items)
    fresh = [item for item in items if item.ref not in seen]

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
        stored = await _write(
            session,
            [_stored_row(item, visits[item.visit_id], decided, user) for item in to_store],
            user.id,
            now,
        )
    applied = [item for item in fresh if decided[item.ref][0] == "recorded" and item.ref in stored]
    await _notify(session, applied, visits, stored, decided, fresh)
    await end_writes(session)  # on SQLite, the write lock is free while the answer is made

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


def _stored_row(
    item: VisitRecordItem,
    visit: Any,
    decided: dict[str, tuple[str, str | None]],
    user: CurrentUser,
) -> dict[str, Any]:
    """A record to store: its report, and for one to apply, the visit's change."""
    outcome, reason = decided[item.ref]
    row: dict[str, Any] = {
        "ref": item.ref,
        "visit_id": item.visit_id,
        "outcome": ReportOutcome.applied if outcome == "recorded" else ReportOutcome.kept,
        "reason": reason,
        "record": _as_sent(item),
        **Visit.placed_in(visit),
    }
    if outcome == "recorded":
        row |= {
            "from_state": visit.state,
            "version": visit.version,
            "condition": str(item.condition),
            "needs": list(item.needs),
            "notes": item.notes.strip(),
            "urgent": item.urgent,
            "visited_at": item.visited_at,
            "visit_date": item.visited_at.astimezone(LOCAL_TZ).date(),
            "recorded_by": user.id,
            "person_user_id": visit.person_user_id or user.id,
            "photo": item.photo,
            "lon": item.lon,
            "lat": item.lat,
        }
    return row


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

    for item in urgent:
        visit = visits[item.visit_id]
        office_here = await office(visit.community_id, NotifyVia.both)
        await send(
            session, urgent_notice(visit, visit.resident_name, item.notes.strip(), office_here)
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
