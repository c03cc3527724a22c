"""Working time: when a deadline of N working hours falls, and how many working hours
passed between two instants.

A working day is one China's State Council calendar says is worked: weekdays except
the official holidays, plus the weekend days worked in exchange 调休 (from the
``chinese-calendar`` package), or as the operator entered them
(:mod:`server.cases.calendar`, which wins over the package). A year neither covers falls
back to Monday–Friday, said once in the log. Each community works in periods of the day
(default 08:30–12:00 and 14:00–17:30), in Asia/Shanghai; its administrators change them
(``PUT /api/v1/communities/{code}/working-hours``).

Pure functions of their arguments: the caller passes the instants (a controlled clock in
tests) and the community's periods.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta

import chinese_calendar

from server.notify.outbox import LOCAL_TZ

__all__ = [
    "DEFAULT_PERIODS",
    "Periods",
    "add_working_hours",
    "is_workday",
    "parse_periods",
    "use_calendar",
    "working_hours_between",
]

log = logging.getLogger(__name__)

Periods = Sequence[tuple[time, time]]

DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)

# Years the calendar did not cover, already said in the log.
_UNCOVERED: set[int] = set()
# The days the operator entered (worked or not), and their years.
_ENTERED: dict[date, bool] = {}
_ENTERED_YEARS: set[int] = set()
# A deadline further away than this is a mistake (no working day in years).
_MAX_DAYS = 3 * 366


def parse_periods(periods: Sequence[Sequence[str]]) -> tuple[tuple[time, time], ...]:
    """``[["08:30", "12:00"], …]`` → sorted periods; ValueError when one ends before it
    starts or two overlap."""
    parsed = sorted((time.fromisoformat(a), time.fromisoformat(b)) for a, b in periods)
    for (start, end), following in zip(parsed, [*parsed[1:], None], strict=True):
        if start >= end:
            raise ValueError("a period ends before it starts")
        if following is not None and following[0] < end:
            raise ValueError("periods overlap")
    return tuple(parsed)


def use_calendar(days: Mapping[date, bool]) -> None:
    """The days the operator entered, over the package's: for each, whether it is
    worked. Every other day of a year among them follows its weekday when the package
    does not cover that year."""
    _ENTERED.clear()
    _ENTERED.update(days)
    _ENTERED_YEARS.clear()
    _ENTERED_YEARS.update(day.year for day in days)


def is_workday(day: date) -> bool:
    """Is this a working day (official holidays off, 调休 weekend days worked)?"""
    entered = _ENTERED.get(day)
    if entered is not None:
        return entered
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        if day.year not in _UNCOVERED and day.year not in _ENTERED_YEARS:
            _UNCOVERED.add(day.year)
            log.warning(
                "the holiday calendar does not cover %s: counting Monday to Friday as working"
                " days (upgrade chinese-calendar)",
                day.year,
            )
        return day.weekday() < 5


def _local(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("naive datetime given to working time")
    return instant.astimezone(LOCAL_TZ)


def _spans(day: date, periods: Periods) -> list[tuple[datetime, datetime]]:
    """The working spans of one day as local instants (none on a day off)."""
    if not is_workday(day):
        return []
    return [
        (datetime.combine(day, a, LOCAL_TZ), datetime.combine(day, b, LOCAL_TZ)) for a, b in periods
    ]


def add_working_hours(
    start: datetime, hours: float, periods: Periods = DEFAULT_PERIODS
) -> datetime:
    """The instant (UTC) when ``hours`` working hours have passed since ``start``.

    Work started outside working time counts from the next working period; a deadline
    that uses up a period exactly falls at that period's end (17:30, not the next 08:30).
    """
    if not periods:
        raise ValueError("no working periods")
    left = timedelta(hours=hours)
    now = _local(start)
    if left <= timedelta(0):
        return now.astimezone(UTC)
    day = now.date()
    for _ in range(_MAX_DAYS):
        for a, b in _spans(day, periods):
            if b <= now:
                continue
            begin = max(a, now)
            if begin + left <= b:
                return (begin + left).astimezone(UTC)
            left -= b - begin
        day += timedelta(days=1)
    raise ValueError("no working time within three years")


def working_hours_between(
    start: datetime, end: datetime, periods: Periods = DEFAULT_PERIODS
) -> float:
    """Working hours between two instants (negative when ``end`` is before ``start``)."""
    if end < start:
        return -working_hours_between(end, start, periods)
    a, b = _local(start), _local(end)
    total = timedelta(0)
    day = a.date()
    while day <= b.date():
        for s, e in _spans(day, periods):
            lo, hi = max(s, a), min(e, b)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total.total_seconds() / 3600
