"""The partial indexes of visits and visit reports serve the reads they were made for.

Phones sync thousands of visit records a second, and every index of ``visits`` and
``visit_reports`` is written for each, so the two tables keep only the indexes they are
read by (migration 0019). Two of those are partial: the planned visits by day (the chore
that flags missed visits) and the kept reports by community (the office's review list).
A partial index serves a query only when the query's own condition proves the index's.
PostgreSQL's generic plan of a prepared statement, which a long-lived connection ends up
using, is made for any value of a parameter, so a bound state proves nothing there (it
fails this test); SQLite plans with the bound values. So these reads write the state
they want out in their SQL, and this test takes the statements they send and asks each
engine's planner how it would run them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event

from server.visits.messages import flag_missed_visits
from tests.conftest import DENGYUE_ADMIN, Backend
from tests.integration.test_visit_sync import DENGYUE
from tests.integration.test_wishes import as_


async def _sent(engine: Any, work: Callable[[], Awaitable[Any]], table: str) -> list[Any]:
    """The SELECT statements on ``table`` (with their parameters) that ``work`` sends."""
    seen: list[Any] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and f"FROM {table}" in statement:
            seen.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", listen)
    try:
        await work()
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listen)
    assert seen, f"no statement on {table} was sent"
    return seen


def _literal(value: Any) -> str:
    return "'" + str(value).replace("'", "''") + "'"


async def _plan(backend: Backend, statement: str, parameters: Any) -> str:
    async with backend.engine.connect() as conn:
        if backend.name == "spatialite":
            rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in rows)
        # The demo city's tables are small enough to read whole; what matters is whether
        # the index can serve the generic plan at all.
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")
        await conn.exec_driver_sql("PREPARE indexed AS " + statement)
        try:
            args = ", ".join(_literal(value) for value in parameters)
            rows = await conn.exec_driver_sql(
                f"EXPLAIN EXECUTE indexed({args})" if args else "EXPLAIN EXECUTE indexed"
            )
            return "\n".join(str(row[0]) for row in rows)
        finally:
            await conn.exec_driver_sql("DEALLOCATE indexed")
            await conn.rollback()


async def test_the_missed_visits_chore_reads_the_planned_visits_by_their_index(
    backend: Backend,
) -> None:
    async def chore() -> None:
        async with backend.sessionmaker()() as session:
            # Nothing was planned before 2000: the chore reads and changes nothing.
            assert await flag_missed_visits(session, datetime(2000, 1, 1, tzinfo=UTC)) == 0

    for statement, parameters in await _sent(backend.engine, chore, "visits"):
        plan = await _plan(backend, statement, parameters)
        assert "ix_visits_planned_day" in plan, (statement, plan)


async def test_the_review_list_reads_the_kept_reports_by_their_index(
    app: Any, client: Any, tokens: Any, backend: Backend
) -> None:
    headers = await as_(client, tokens, DENGYUE_ADMIN)

    async def lists() -> None:
        for state in ("open", "reviewed"):
            r = await client.get(
                f"/api/v1/communities/{DENGYUE}/visit-reports",
                params={"state": state},
                headers=headers,
            )
            assert r.status_code == 200, r.text

    statements = await _sent(app.state.engine, lists, "visit_reports")
    assert len(statements) >= 2  # a count and a page, at least
    for statement, parameters in statements:
        plan = await _plan(backend, statement, parameters)
        assert "ix_visit_reports_kept" in plan, (statement, plan)
