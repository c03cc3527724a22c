"""Working time: deadlines over 调休 weekends and the 2026 Spring Festival, in Asia/Shanghai."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, time

import pytest

from server.cases import worktime
from server.cases.worktime import (
    add_working_hours,
    is_workday,
    parse_periods,
    working_hours_between,
)
from server.notify.outbox import LOCAL_TZ


def at(text: str) -> datetime:
    """A local (Beijing) time."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


def local(instant: datetime) -> str:
    assert instant.tzinfo is UTC
    return instant.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


def test_the_official_calendar() -> None:
    assert not is_workday(date(2026, 2, 16))  # Spring Festival, a Monday
    assert is_workday(date(2026, 2, 14))  # Saturday worked in exchange 调休
    assert is_workday(date(2026, 2, 28))  # and the Saturday after
    assert not is_workday(date(2026, 2, 22))  # an ordinary Sunday in the holiday
    assert is_workday(date(2026, 2, 24))
    assert is_workday(date(2026, 1, 4))  # Sunday worked for New Year's Day


def test_within_a_day_and_over_lunch() -> None:
    assert local(add_working_hours(at("2026-03-03 09:00"), 2)) == "2026-03-03 11:00"
    # 11:00 + 2 h: one before lunch, one after it.
    assert local(add_working_hours(at("2026-03-03 11:00"), 2)) == "2026-03-03 15:00"
    # Uses up the afternoon exactly: due at 17:30 that day, not the next morning.
    assert local(add_working_hours(at("2026-03-03 14:00"), 3.5)) == "2026-03-03 17:30"
    # A full day is 7 hours.
    assert local(add_working_hours(at("2026-03-03 08:30"), 7)) == "2026-03-03 17:30"
    # Received in the evening: counts from the next morning.
    assert local(add_working_hours(at("2026-03-03 20:15"), 1)) == "2026-03-04 09:30"
    # Received at lunch: counts from 14:00.
    assert local(add_working_hours(at("2026-03-03 12:40"), 1)) == "2026-03-03 15:00"


def test_across_a_tiaoxiu_weekend() -> None:
    # Friday 2026-01-02 is the New Year holiday; Sunday 2026-01-04 is worked 调休.
    assert not is_workday(date(2026, 1, 2))
    start = at("2025-12-31 16:30")  # Wednesday, 1 h before closing
    # 1 h on Wed 31st; Thu 1st and Fri 2nd off; Sat 3rd off; Sun 4th worked.
    assert local(add_working_hours(start, 1)) == "2025-12-31 17:30"
    assert local(add_working_hours(start, 2)) == "2026-01-04 09:30"
    assert local(add_working_hours(start, 8)) == "2026-01-04 17:30"
    assert local(add_working_hours(start, 9)) == "2026-01-05 09:30"
    assert working_hours_between(start, at("2026-01-05 09:30")) == pytest.approx(9)


def test_across_the_2026_spring_festival() -> None:
    # The holiday runs Sun 15 to Mon 23 Feb 2026; Sat 14 and Sat 28 Feb are worked.
    start = at("2026-02-13 15:00")  # Friday
    assert local(add_working_hours(start, 2.5)) == "2026-02-13 17:30"
    assert local(add_working_hours(start, 3)) == "2026-02-14 09:00"  # the 调休 Saturday
    assert local(add_working_hours(start, 2.5 + 7 + 1)) == "2026-02-24 09:30"
    # 24 working hours: 2.5 on Friday, 7 on the 调休 Saturday, 7 + 7 on Tue and Wed, 0.5.
    due = add_working_hours(start, 24)
    assert local(due) == "2026-02-26 09:00"
    assert working_hours_between(start, due) == pytest.approx(24)
    # Nothing is worked in the holiday.
    assert working_hours_between(at("2026-02-15 00:00"), at("2026-02-24 00:00")) == 0
    assert working_hours_between(due, start) == pytest.approx(-24)


def test_a_community_s_own_hours() -> None:
    periods = parse_periods([["14:30", "18:00"], ["09:00", "12:00"]])
    assert periods[0] == (time(9), time(12))
    assert local(add_working_hours(at("2026-03-03 11:00"), 2, periods)) == "2026-03-03 15:30"
    with pytest.raises(ValueError):
        parse_periods([["09:00", "12:00"], ["11:00", "13:00"]])
    with pytest.raises(ValueError):
        parse_periods([["12:00", "09:00"]])


def test_a_year_the_calendar_does_not_cover(caplog: pytest.LogCaptureFixture) -> None:
    worktime._UNCOVERED.discard(2099)
    with caplog.at_level(logging.WARNING, logger="server.cases.worktime"):
        assert is_workday(date(2099, 1, 2))  # a Friday (New Year's Day unknown)
        assert not is_workday(date(2099, 1, 3))  # Saturday
        friday = at("2099-01-02 17:00")
        assert local(add_working_hours(friday, 1)) == "2099-01-05 09:00"
    said = [r for r in caplog.records if "2099" in r.getMessage()]
    assert len(said) == 1


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_hours(datetime(2026, 3, 3, 9), 1)


@pytest.fixture
def entered() -> Iterator[None]:
    """The operator's days of this test only."""
    yield
    worktime.use_calendar({})


def test_days_the_operator_entered_win_over_the_weekday(
    entered: None, caplog: pytest.LogCaptureFixture
) -> None:
    """A year the package does not cover: New Year's Day (a Friday) entered off and a
    Sunday entered worked; the rest of the year follows its weekday, and nothing warns."""
    worktime._UNCOVERED.discard(2098)
    worktime.use_calendar({date(2098, 1, 3): False, date(2098, 1, 5): True})
    with caplog.at_level(logging.WARNING, logger="server.cases.worktime"):
        assert not is_workday(date(2098, 1, 3))  # Friday, entered off
        assert is_workday(date(2098, 1, 5))  # Sunday, entered worked
        assert not is_workday(date(2098, 1, 4))  # Saturday, as its weekday says
        assert is_workday(date(2098, 1, 6))  # Monday
        # Thursday 17:00 + 1 working hour: not the holiday Friday, not Saturday, but the
        # Sunday worked in exchange.
        assert local(add_working_hours(at("2098-01-02 17:00"), 1)) == "2098-01-05 09:00"
    assert not [r for r in caplog.records if "2098" in r.getMessage()]


def test_an_entered_day_corrects_a_year_the_package_covers(entered: None) -> None:
    assert is_workday(date(2026, 3, 3))
    worktime.use_calendar({date(2026, 3, 3): False})
    assert not is_workday(date(2026, 3, 3))
    assert local(add_working_hours(at("2026-03-02 17:00"), 1)) == "2026-03-04 09:00"
    worktime.use_calendar({})
    assert is_workday(date(2026, 3, 3))
