"""The bare limit for visit sync: less work than Linli does, as fast as it can go.

``make bench-sync BENCH_ARGS=--bare`` serves this beside Linli on the same PostGIS
database and measures both with the same ``wrk`` script, each on visits of its own. It
answers ``POST /api/v1/visits/records`` (a batch of up to 50 visit records from a phone)
with the fields of Linli's ``VisitSyncResult``, and writes what Linli writes for a batch:

* a ``visit_reports`` row per new ref (a ref stored before is answered ``duplicate`` and
  writes nothing: the exactly-once record),
* for a record applied, the visit's change (done, its version up, what was found) and its
  ``visit_events`` history row,
* for an urgent finding, the ``outbox`` rows to the community office (push and SMS to
  every active staff member and admin of the visit's community, the resident's name
  masked, one row per person and channel whatever the retries).

The caller's bearer token is checked (HS256, the same secret) and the account looked up
(active, the token not revoked), and all of it, the refs seen before, the visits locked
and every write, is **one** SQL statement through an asyncpg pool. No ORM, no middleware,
no session.

It does *less* than Linli, on purpose: a record is applied only when the caller is the
visitor the plan names and the visit is still to be made (Linli asks its rule table, which
also lets the grid's staff record); any other visit found is kept without its reason and
without the office's "kept to review" notice (the benchmark sends none); no photo is
checked, no time is checked against the clock, and the batch is validated for its shape
only. What it reaches is therefore an upper bound on what any implementation of this sync
can reach on the same machine and database: where it misses a target, the target is out
of reach of the hardware, not of the code.

Run by ``tests.bench.visits_sync`` (``--bare``) with ``server.serving.serve`` (a socket
per worker, as Linli); ``DATABASE_URL`` and ``LINLI_SECRET_KEY`` as for Linli.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import asyncpg
import msgspec
from litestar import Litestar, Request, post
from litestar.exceptions import NotAuthorizedException, ValidationException

from tests.bench.bare_auth import caller

URL = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")


class Item(msgspec.Struct, frozen=True):
    ref: str
    visit_id: int
    condition: str
    visited_at: datetime
    needs: list[str] = []
    notes: str = ""
    urgent: bool = False
    photo: str | None = None
    lon: float | None = None
    lat: float | None = None


class Batch(msgspec.Struct, frozen=True):
    records: list[Item]


class Result(msgspec.Struct, frozen=True):
    ref: str
    visit_id: int
    outcome: str
    reason: str | None = None
    first: str | None = None
    version: int | None = None


class Answer(msgspec.Struct, frozen=True):
    results: list[Result]
    recorded: int
    kept: int
    duplicate: int
    refused: int


# $1 user id, $2 jti, $3 the batch's records as one JSON array.
SYNC = """WITH me AS MATERIALIZED (
  SELECT u.id FROM users AS u WHERE u.id = $1 AND u.is_active
    AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens AS t WHERE t.jti = $2)),
u AS MATERIALIZED (SELECT * FROM json_to_recordset($3::json) AS u(ref varchar,
    visit_id integer, condition varchar, visited_at timestamptz, needs json, notes text,
    urgent boolean, photo varchar, lon float8, lat float8, record json)),
seen AS MATERIALIZED (SELECT r.ref, r.outcome FROM visit_reports AS r
  WHERE r.ref IN (SELECT ref FROM u)),
v AS MATERIALIZED (SELECT v.id, v.state, v.version, v.person_user_id, v.resident_id,
    v.sub_district_id, v.community_id, v.grid_id
  FROM visits AS v, me WHERE v.id IN (SELECT visit_id FROM u) FOR UPDATE OF v),
d AS MATERIALIZED (SELECT u.*, v.state, v.version, v.resident_id, v.sub_district_id,
    v.community_id, v.grid_id,
    CASE WHEN v.state IN ('planned', 'missed') AND v.person_user_id = $1
      THEN 'applied' ELSE 'kept' END AS outcome
  FROM u JOIN v ON v.id = u.visit_id WHERE u.ref NOT IN (SELECT ref FROM seen)),
r AS (INSERT INTO visit_reports (ref, visit_id, reporter_user_id, received_at, outcome,
    record, sub_district_id, community_id, grid_id)
  SELECT d.ref, d.visit_id, $1, now(), d.outcome, d.record, d.sub_district_id,
    d.community_id, d.grid_id FROM d
  ON CONFLICT (ref) DO NOTHING RETURNING ref, outcome),
a AS (UPDATE visits AS v SET state = 'done', version = v.version + 1, updated_at = now(),
    condition = d.condition, needs = d.needs, notes = btrim(d.notes),
    urgent = d.urgent, visited_at = d.visited_at,
    visit_date = CAST(d.visited_at AT TIME ZONE 'Asia/Shanghai' AS date), recorded_by = $1,
    photo = d.photo, lon = d.lon, lat = d.lat
  FROM d JOIN r ON r.ref = d.ref
  WHERE r.outcome = 'applied' AND v.id = d.visit_id AND v.version = d.version
  RETURNING v.id, d.ref, d.state, d.urgent, d.notes, d.resident_id, d.community_id),
e AS (INSERT INTO visit_events (visit_id, at, actor_user_id, action, from_state, to_state,
    detail)
  SELECT a.id, now(), $1, 'record', a.state, 'done', json_build_object('ref', a.ref) FROM a),
o AS (INSERT INTO outbox (created_at, dedupe_key, channel, user_id, template, params,
    locale, url, urgent, community_id, status, attempts, next_attempt_at)
  SELECT now(), 'visit:' || a.id || ':urgent:u' || ou.id || ':' || ch.channel,
    ch.channel, ou.id, 'visit.urgent',
    json_build_object('resident', left(res.name, 1)
      || repeat('*', greatest(1, char_length(res.name) - 1)), 'notes', btrim(a.notes)),
    ou.locale, '/#/visits/' || a.id, true, a.community_id, 'pending', 0, now()
  FROM a JOIN residents AS res ON res.id = a.resident_id
  JOIN (SELECT DISTINCT user_id, community_id FROM role_assignments
    WHERE role IN ('community_staff', 'community_admin')) AS ra
    ON ra.community_id = a.community_id
  JOIN users AS ou ON ou.id = ra.user_id AND ou.is_active
  CROSS JOIN (VALUES ('push'), ('sms')) AS ch(channel)
  WHERE a.urgent
  ON CONFLICT (dedupe_key) DO NOTHING)
SELECT u.ref, u.visit_id, (SELECT count(*) FROM me) AS me, seen.outcome AS seen,
  r.outcome AS stored, v.version
FROM u LEFT JOIN seen ON seen.ref = u.ref LEFT JOIN r ON r.ref = u.ref
LEFT JOIN v ON v.id = u.visit_id"""

_DECODER = msgspec.json.Decoder(Batch)


class _Row(msgspec.Struct):
    """A record as the statement reads it: the fields as sent, and the record again."""

    ref: str
    visit_id: int
    condition: str
    visited_at: datetime
    needs: list[str]
    notes: str
    urgent: bool
    photo: str | None
    lon: float | None
    lat: float | None
    record: dict[str, Any]


_ENCODER = msgspec.json.Encoder()


def _rows(items: list[Item]) -> str:
    """The batch as one JSON document (one parameter, parsed by the database)."""
    return _ENCODER.encode(
        [
            _Row(
                ref=i.ref,
                visit_id=i.visit_id,
                condition=i.condition,
                visited_at=i.visited_at,
                needs=i.needs,
                notes=i.notes,
                urgent=i.urgent,
                photo=i.photo,
                lon=i.lon,
                lat=i.lat,
                record={
                    "condition": i.condition,
                    "visited_at": i.visited_at.isoformat(),
                    "needs": i.needs,
                    "notes": i.notes,
                    "urgent": i.urgent,
                    "photo": i.photo,
                    "lon": i.lon,
                    "lat": i.lat,
                },
            )
            for i in items
        ]
    ).decode()


@post("/api/v1/visits/records", status_code=200)
async def records(request: Request[Any, Any, Any]) -> bytes:
    uid, jti = caller(request)
    try:
        items = _DECODER.decode(await request.body()).records
    except msgspec.ValidationError as exc:
        raise ValidationException(str(exc)) from exc
    if not 1 <= len(items) <= 50 or len({i.ref for i in items}) != len(items):
        raise ValidationException("1 to 50 records, each with its own ref")
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(SYNC, uid, jti, _rows(items))
    if not rows or not rows[0]["me"]:
        raise NotAuthorizedException("Invalid token")
    counts = {"recorded": 0, "kept": 0, "duplicate": 0, "refused": 0}
    results = []
    for row in rows:
        version = row["version"]
        if row["seen"] is not None:
            first = "recorded" if row["seen"] == "applied" else "kept"
            result = Result(row["ref"], row["visit_id"], "duplicate", first=first)
        elif version is None:
            result = Result(row["ref"], row["visit_id"], "refused", reason="没有这次走访")
        elif row["stored"] is None:
            result = Result(row["ref"], row["visit_id"], "duplicate")
        elif row["stored"] == "applied":
            result = Result(row["ref"], row["visit_id"], "recorded", version=version + 1)
        else:
            result = Result(row["ref"], row["visit_id"], "kept", version=version)
        counts[result.outcome] += 1
        results.append(result)
    return msgspec.json.encode(Answer(results, **counts))


async def _start(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(URL, min_size=4, max_size=16)


async def _stop(app: Litestar) -> None:
    await app.state.pool.close()


app = Litestar([records], on_startup=[_start], on_shutdown=[_stop], openapi_config=None)
