"""The official calendar as the operator enters it.

Case deadlines count working days: weekdays except the official holidays, plus the
weekend days worked in exchange 调休 (:mod:`server.cases.worktime`). The State Council
publishes each year's schedule in the autumn before; the ``chinese-calendar`` package
carries it only from its next release, and a year it does not cover yet is counted
Monday to Friday, which puts deadlines on New Year's Day and in the Spring Festival.
So the operator enters the year's days themselves (``linli calendar FILE``), and what
is entered wins over the package:

    2027-01-01,off,元旦
    2027-02-06,off,春节
    2027-02-14,work,春节调休

One line per day that is not what its weekday says (a holiday on a weekday: ``off``; a
weekend day worked: ``work``); every other day of an entered year follows its weekday.
Importing a file replaces the entered days of the years it names, so a corrected file is
imported again whole. Every process reads the entered days when it starts and again every
``LINLI_CALENDAR_REFRESH_SECONDS`` (600), so an import takes effect within ten minutes.
"""

from __future__ import annotations

import asyncio
import csv
import io
import logging
from datetime import date, datetime

from sqlalchemy import Boolean, Date, String, delete, extract, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, mapped_column

from server.cases import worktime
from server.db.base import Base, utcnow

__all__ = [
    "CalendarDay",
    "import_days",
    "keep_calendar",
    "load_calendar",
    "parse_days",
    "read_calendar",
    "start_calendar",
]

log = logging.getLogger(__name__)

_KINDS = {"off": False, "work": True}


class CalendarDay(Base):
    """A day the operator entered: worked or not, whatever its weekday says."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(40), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


def parse_days(text: str) -> list[tuple[date, bool, str]]:
    """``date,off|work[,name]`` lines (blank lines and ``#`` comments skipped); a
    ValueError naming the line for anything else."""
    days: dict[date, tuple[bool, str]] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        fields = [field.strip() for field in row]
        if len(fields) not in (2, 3):
            raise ValueError(f"line {number}: expected date,off|work[,name]")
        try:
            day = date.fromisoformat(fields[0])
        except ValueError:
            raise ValueError(f"line {number}: {fields[0]!r} is not a date (YYYY-MM-DD)") from None
        if fields[1] not in _KINDS:
            raise ValueError(f"line {number}: {fields[1]!r} is neither off nor work")
        name = fields[2] if len(fields) == 3 else ""
        if len(name) > 40:
            raise ValueError(f"line {number}: the name is longer than 40 characters")
        if day in days:
            raise ValueError(f"line {number}: {day} is given twice")
        days[day] = (_KINDS[fields[1]], name)
    return [(day, work, name) for day, (work, name) in sorted(days.items())]


async def import_days(session: AsyncSession, days: list[tuple[date, bool, str]]) -> set[int]:
    """Replace the entered days of the years ``days`` name; the years."""
    years = {day.year for day, _, _ in days}
    if years:
        await session.execute(
            delete(CalendarDay).where(extract("year", CalendarDay.day).in_(sorted(years)))
        )
        now = utcnow()
        await session.execute(
            insert(CalendarDay),
            [
                {"day": day, "workday": work, "name": name, "updated_at": now}
                for day, work, name in days
            ],
        )
    return years


async def load_calendar(session: AsyncSession) -> int:
    """Make the entered days this process's (:func:`worktime.use_calendar`); how many."""
    rows = (await session.execute(select(CalendarDay.day, CalendarDay.workday))).all()
    worktime.use_calendar({day: bool(work) for day, work in rows})
    return len(rows)


async def read_calendar(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """:func:`load_calendar` in a session of its own. A process must not fail to start,
    or stop, because the database is away for a moment: the last days read stay, and
    the failure is logged."""
    try:
        async with sessionmaker() as session:
            await load_calendar(session)
    except Exception:
        log.exception("reading the entered calendar failed; the last one read stays")


async def keep_calendar(sessionmaker: async_sessionmaker[AsyncSession], every: float) -> None:
    """Read the entered days again every ``every`` seconds, for as long as the process."""
    while True:
        await asyncio.sleep(every)
        await read_calendar(sessionmaker)


async def start_calendar(
    sessionmaker: async_sessionmaker[AsyncSession], every: float
) -> asyncio.Task[None] | None:
    """What a process does as it starts: read the entered days now, then (``every`` > 0)
    again every ``every`` seconds in a task of its own, for the process to cancel as it
    stops."""
    await read_calendar(sessionmaker)
    if every <= 0:
        return None
    return asyncio.create_task(keep_calendar(sessionmaker, every), name="linli-calendar")
