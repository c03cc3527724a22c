"""The official calendar the operator enters (``linli calendar FILE``), on both engines:
the days are parsed (a wrong line named, nothing entered), stored replacing the years
they name, and read by every process as it starts, after which case deadlines count
them."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete, select

from server.app import create_app
from server.cases import worktime
from server.cases.calendar import CalendarDay, import_days, load_calendar, parse_days
from server.cases.worktime import add_working_hours, is_workday
from tests.conftest import Backend
from tests.unit.test_worktime import at, local

FILE = """# 2097, as the State Council would publish it
2097-01-01,off,元旦
2097-01-05, work ,元旦调休
"""


@pytest.fixture
def clean(backend: Backend) -> Iterator[None]:
    yield
    worktime.use_calendar({})


async def _entered(backend: Backend, year: int) -> list[tuple[date, bool, str]]:
    async with backend.sessionmaker()() as session:
        rows = await session.execute(
            select(CalendarDay.day, CalendarDay.workday, CalendarDay.name)
            .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
            .order_by(CalendarDay.day)
        )
        return [tuple(row) for row in rows.all()]  # type: ignore[misc]


async def test_an_entered_year_reaches_a_process_as_it_starts(
    backend: Backend, clean: None
) -> None:
    days = parse_days(FILE)
    assert days == [(date(2097, 1, 1), False, "元旦"), (date(2097, 1, 5), True, "元旦调休")]
    try:
        async with backend.sessionmaker().begin() as session:
            assert await import_days(session, days) == {2097}
        assert await _entered(backend, 2097) == days
        # Entered again, corrected: the year's days are replaced, not added to.
        async with backend.sessionmaker().begin() as session:
            await import_days(session, [(date(2097, 1, 2), False, "元旦")])
        assert await _entered(backend, 2097) == [(date(2097, 1, 2), False, "元旦")]
        async with backend.sessionmaker().begin() as session:
            await import_days(session, days)

        worktime.use_calendar({})
        assert is_workday(date(2097, 1, 1))  # a Tuesday, unknown to the package
        app = create_app(dataclasses.replace(backend.settings, calendar_refresh_seconds=0))
        async with app.lifespan():
            assert not is_workday(date(2097, 1, 1))
            assert is_workday(date(2097, 1, 5))  # a Saturday worked
            # Monday 31 December 17:00 + 1 working hour: not New Year's Day.
            assert local(add_working_hours(at("2096-12-31 17:00"), 1)) == "2097-01-02 09:00"
            # Friday 4 January 17:00 + 1: the Saturday worked in exchange.
            assert local(add_working_hours(at("2097-01-04 17:00"), 1)) == "2097-01-05 09:00"
    finally:
        async with backend.sessionmaker().begin() as session:
            await session.execute(delete(CalendarDay).where(CalendarDay.day >= date(2097, 1, 1)))


async def test_the_reader_reads_what_is_there_now(backend: Backend, clean: None) -> None:
    async with backend.sessionmaker()() as session:
        worktime.use_calendar({date(2097, 3, 4): False})
        await load_calendar(session)  # nothing of 2097 stored: the stale day is gone
    assert is_workday(date(2097, 3, 4))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2097-01-01,holiday\n", "line 1: 'holiday' is neither off nor work"),
        ("\n2097-13-01,off\n", "line 2: '2097-13-01' is not a date"),
        ("2097-01-01\n", "line 1: expected date,off|work[,name]"),
        ("2097-01-01,off\n2097-01-01,work\n", "line 2: 2097-01-01 is given twice"),
        ("2097-01-01,off," + "节" * 41 + "\n", "line 1: the name is longer than 40"),
    ],
)
def test_a_wrong_line_is_named(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says.replace("|", r"\|").replace("[", r"\[")):
        parse_days(text)


async def test_a_process_starts_when_the_calendar_cannot_be_read(
    backend: Backend, tmp_path: Any
) -> None:
    """The database away (here: a file with no tables) must not stop a process from
    starting: the days read last stay (and the failure goes to the log)."""
    worktime.use_calendar({date(2097, 3, 4): False})
    settings = dataclasses.replace(
        backend.settings,
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}",
        calendar_refresh_seconds=0,
    )
    try:
        async with create_app(settings).lifespan():
            assert not is_workday(date(2097, 3, 4))
    finally:
        worktime.use_calendar({})
