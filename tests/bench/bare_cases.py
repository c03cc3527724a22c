"""The bare limit for the case lists: less work than Linli does, as fast as it can go.

``make bench-cases BENCH_ARGS=--bare`` serves this beside Linli on the same million cases
and measures both with the same ``wrk`` scripts. It answers

* ``GET /api/v1/me/case-inbox`` (a grid worker's open cases, the nearest deadline first),
* ``GET /api/v1/communities/{code}/cases`` (a community's cases for its office, newest
  first),

with the fields of Linli's ``CasePage`` and ``CaseView`` for a list, from the same rows:
the caller's bearer token checked (HS256, the same secret) and the account looked up
(active, the token not revoked, the roles that give the inbox's grids or the office's
community); the page, its count and every name the views show (item, grid, community,
reporter masked, assignee) in **one** SQL statement through an asyncpg pool; encoded with
msgspec. No ORM, no middleware, no session.

It does *less* than Linli, on purpose: it leaves ``allowed_actions`` empty (Linli runs its
rule table for every case), shows no phone of a hotline caller (Linli opens the sealed
contact to mask it), answers in Simplified Chinese only and skips the idempotency, rate
limit and compression middleware. What it reaches is therefore an upper bound on what any
implementation of these lists can reach on the same machine and database: where it misses
a target, the target is out of reach of the hardware, not of the code.

Run by ``tests.bench.cases`` (``--bare``) with ``server.serving.serve`` (a socket per
worker, as Linli); ``DATABASE_URL`` and ``LINLI_SECRET_KEY`` as for Linli.
"""

# Its SQL is built from this module's constants alone; every value goes as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Litestar, Request, get
from litestar.exceptions import NotFoundException
from litestar.params import Parameter

from tests.bench.bare_auth import caller

URL = os.environ["DATABASE_URL"].replace("postgresql+asyncpg://", "postgresql://")
OPEN = ["received", "accepted", "dispatched", "in_progress", "resolved"]
STATE_NAMES = {
    "received": "待受理",
    "accepted": "已受理",
    "rejected": "不予受理",
    "dispatched": "已派单",
    "in_progress": "办理中",
    "resolved": "已办结待核实",
    "closed": "已办结",
    "merged": "已合并",
}


class ItemRef(msgspec.Struct, frozen=True):
    code: str
    name: str
    close_level: str
    deadline_hours: int


class CaseView(msgspec.Struct, frozen=True):
    id: int
    number: str
    state: str
    state_name: str
    version: int
    channel: str
    item: ItemRef | None
    description: str
    community: str
    grid: str
    level: str
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str]
    reporter: str | None = None
    reporter_phone: str | None = None
    on_behalf: bool = False
    assignee_id: int | None = None
    assignee: str | None = None
    lon: float | None = None
    lat: float | None = None
    photos: list[str] = []
    fields: dict[str, Any] = {}
    consent_note: str | None = None
    visit_id: int | None = None
    reject_reason: str | None = None
    resolution: str | None = None
    resolution_photo: str | None = None
    satisfaction: int | None = None
    extension_hours: int | None = None
    extension_reason: str | None = None
    reworks: int = 0
    returns: int = 0
    escalations: int = 0
    flagged: bool = False
    merged_into: str | None = None
    history: list[Any] | None = None


class CasePage(msgspec.Struct, frozen=True):
    items: list[CaseView]
    total: int
    limit: int
    offset: int


def mask_name(name: str) -> str:
    name = name.strip()
    return name[0] + "*" * max(1, len(name) - 1) if name else ""


def mask_phone(phone: str) -> str:
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


# The caller: active, the token not revoked, and the grids (grid worker) or communities
# (office) their roles give. $1 user id, $2 jti. The open states are written in the SQL:
# as a parameter, the prepared statement's generic plan ANDed the state index's 50,000
# open cases into every inbox (1.6 ms).
_ME = """me AS (
  SELECT u.id,
         array_agg(ra.grid_id) FILTER (WHERE ra.role = 'grid_worker' AND ra.grid_id IS NOT NULL)
           AS grids,
         array_agg(ra.community_id) FILTER (WHERE ra.role IN ('community_staff',
           'community_admin') AND ra.community_id IS NOT NULL) AS offices
  FROM users AS u LEFT JOIN role_assignments AS ra ON ra.user_id = u.id
  WHERE u.id = $1 AND u.is_active
    AND NOT EXISTS (SELECT 1 FROM revoked_access_tokens AS t WHERE t.jti = $2)
  GROUP BY u.id)"""
# A page's rows with every name its views show; {page} selects the cases' ids in order.
_ROWS = """SELECT c.id, c.number, c.state, c.version, c.channel, c.description, c.level,
  c.due_at, c.created_at, c.updated_at, c.resident_id, c.reporter_user_id, c.taken_by_user_id,
  c.assignee_user_id, ST_X(c.location) AS lon, ST_Y(c.location) AS lat, c.fields,
  c.reject_reason, c.resolution, c.resolution_photo, c.satisfaction, c.extension_hours,
  c.reworks, c.returns, c.escalations, c.flagged,
  i.code AS item_code, i.name AS item_name, i.close_level, i.deadline_hours,
  g.name AS grid_name, cm.code AS community_code, r.name AS resident_name,
  r.phone AS resident_phone, ru.name AS reporter_name, ru.phone AS reporter_phone,
  au.name AS assignee_name, m.number AS merged_number,
  page.total
FROM page JOIN cases AS c ON c.id = page.id
LEFT JOIN service_items AS i ON i.id = c.item_id
JOIN grids AS g ON g.id = c.grid_id JOIN communities AS cm ON cm.id = g.community_id
LEFT JOIN residents AS r ON r.id = c.resident_id
LEFT JOIN users AS ru ON ru.id = c.reporter_user_id
LEFT JOIN users AS au ON au.id = c.assignee_user_id
LEFT JOIN cases AS m ON m.id = c.merged_into_id
ORDER BY page.n"""
INBOX = f"""WITH {_ME},
mine AS (SELECT c.id, c.due_at FROM cases AS c, me
  WHERE (c.assignee_user_id = me.id OR c.grid_id = ANY(me.grids))
    AND c.state IN ('received', 'accepted', 'dispatched', 'in_progress', 'resolved')),
page AS (SELECT id, row_number() OVER (ORDER BY due_at IS NULL, due_at, id) AS n,
  (SELECT count(*) FROM mine) AS total FROM mine
  ORDER BY due_at IS NULL, due_at, id LIMIT $3 OFFSET $4)
{_ROWS}"""
COMMUNITY = f"""WITH {_ME},
place AS (SELECT cm.id FROM communities AS cm, me
  WHERE cm.code = $3 AND cm.id = ANY(me.offices)),
page AS (SELECT c.id, row_number() OVER (ORDER BY c.id DESC) AS n,
  (SELECT count(*) FROM cases AS k, place WHERE k.community_id = place.id) AS total
  FROM cases AS c, place WHERE c.community_id = place.id
  ORDER BY c.id DESC LIMIT $4 OFFSET $5)
{_ROWS}"""


def _page(rows: list[asyncpg.Record], limit: int, offset: int) -> CasePage:
    now = datetime.now(UTC)
    items = []
    for r in rows:
        by_resident = r["resident_id"] is not None
        name = r["resident_name"] if by_resident else r["reporter_name"]
        phone = r["resident_phone"] if by_resident else r["reporter_phone"]
        state = r["state"]
        items.append(
            CaseView(
                id=r["id"],
                number=r["number"],
                state=state,
                state_name=STATE_NAMES[state],
                version=r["version"],
                channel=r["channel"],
                item=ItemRef(r["item_code"], r["item_name"], r["close_level"], r["deadline_hours"])
                if r["item_code"]
                else None,
                description=r["description"],
                community=r["community_code"],
                grid=r["grid_name"],
                level=r["level"],
                due_at=r["due_at"],
                overdue=state in OPEN[:4] and r["due_at"] is not None and r["due_at"] < now,
                created_at=r["created_at"],
                updated_at=r["updated_at"],
                allowed_actions=[],
                reporter=mask_name(name) if name else None,
                reporter_phone=mask_phone(phone) if phone else None,  # the callers are staff
                on_behalf=r["taken_by_user_id"] is not None,
                assignee_id=r["assignee_user_id"],
                assignee=r["assignee_name"],
                lon=r["lon"],
                lat=r["lat"],
                fields=msgspec.json.decode(r["fields"]) if r["fields"] else {},
                reject_reason=r["reject_reason"],
                resolution=r["resolution"],
                resolution_photo=r["resolution_photo"],
                satisfaction=r["satisfaction"],
                extension_hours=r["extension_hours"],
                reworks=r["reworks"],
                returns=r["returns"],
                escalations=r["escalations"],
                flagged=r["flagged"],
                merged_into=r["merged_number"],
            )
        )
    return CasePage(items, rows[0]["total"] if rows else 0, limit, offset)


Limit = Annotated[int, Parameter(ge=1, le=200)]
Offset = Annotated[int, Parameter(ge=0)]


@get("/api/v1/me/case-inbox")
async def inbox(request: Request[Any, Any, Any], limit: Limit = 50, offset: Offset = 0) -> bytes:
    uid, jti = caller(request)
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(INBOX, uid, jti, limit, offset)
    return msgspec.json.encode(_page(rows, limit, offset))


@get("/api/v1/communities/{code:str}/cases")
async def community_cases(
    request: Request[Any, Any, Any], code: str, limit: Limit = 50, offset: Offset = 0
) -> bytes:
    uid, jti = caller(request)
    async with request.app.state.pool.acquire() as conn:
        rows = await conn.fetch(COMMUNITY, uid, jti, code, limit, offset)
        if not rows and not await conn.fetchval(
            f"WITH {_ME} SELECT true FROM communities AS cm, me "
            "WHERE cm.code = $3 AND cm.id = ANY(me.offices)",
            uid,
            jti,
            code,
        ):
            raise NotFoundException("No such community")
    return msgspec.json.encode(_page(rows, limit, offset))


async def _start(app: Litestar) -> None:
    app.state.pool = await asyncpg.create_pool(URL, min_size=4, max_size=16)


async def _stop(app: Litestar) -> None:
    await app.state.pool.close()


app = Litestar(
    [inbox, community_cases],
    on_startup=[_start],
    on_shutdown=[_stop],
    openapi_config=None,
)
