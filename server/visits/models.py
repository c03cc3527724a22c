"""Staggered-hour visits 错时服务: the care roster, pairs, and the visits themselves.

- :class:`CareSettings`, one row per community (absent: the defaults): how often each
  care tag is visited, the noon and evening windows, a worker's capacity per window,
  and the office's duty days (everyone in the office, nobody out on visits).
- A resident may prefer a window (``Resident.visit_window``).
- :class:`CarePair` 结对帮扶: a party member paired with a resident by the office, with
  its own frequency; the pair's visits count toward the resident's.
- :class:`Visit`: one visit of one resident, due by a date, planned to a person, a day,
  a window and a place in that window's walk, then recorded (or missed, or reported as
  impossible to plan with the reason); :class:`VisitEvent` is its history. Its states
  and who may act are the rule table in :mod:`server.visits.rules`.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, utcnow
from server.grids.models import InGrid, InGridUnindexed

__all__ = [
    "DEFAULT_FREQUENCIES",
    "DEFAULT_WINDOWS",
    "CarePair",
    "CareSettings",
    "Condition",
    "ReportOutcome",
    "ReviewDecision",
    "Visit",
    "VisitEvent",
    "VisitReport",
    "VisitState",
    "VisitWindow",
]


class VisitWindow(enum.StrEnum):
    noon = "noon"  # 午间
    evening = "evening"  # 晚间


class VisitState(enum.StrEnum):
    planned = "planned"  # 已排期
    unplanned = "unplanned"  # 无法排期 (with the reason)
    done = "done"  # 已走访
    missed = "missed"  # 未按时走访
    cancelled = "cancelled"  # 已取消


class Condition(enum.StrEnum):
    good = "good"  # 良好
    fair = "fair"  # 一般
    poor = "poor"  # 较差


# Days between visits by care tag (the most frequent tag of a resident wins); others monthly.
DEFAULT_FREQUENCIES: dict[str, int] = {
    "elderly_alone": 7,
    "serious_illness": 7,
    "disabled": 14,
    "low_income": 14,
    "left_behind_child": 14,
    "empty_nest": 14,
    "*": 30,
}
DEFAULT_WINDOWS: dict[str, list[str]] = {
    VisitWindow.noon: ["12:00", "14:00"],
    VisitWindow.evening: ["18:00", "21:00"],
}
DEFAULT_CAPACITY = 6


class CareSettings(TimestampMixin, Base):
    """A community's care roster rules (absent: the defaults above)."""

    __tablename__ = "care_settings"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    frequencies: Mapped[dict[str, int]] = mapped_column(default=dict)
    windows: Mapped[dict[str, list[str]]] = mapped_column(default=dict)
    capacity_per_window: Mapped[int] = mapped_column(default=DEFAULT_CAPACITY)
    # Weekdays (Monday 0) the whole office is in: no visits planned then (e.g. [2]).
    office_days: Mapped[list[int]] = mapped_column(default=list)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class CarePair(InGrid, TimestampMixin, Base):
    """结对帮扶: a party member paired with a resident, visiting every ``every_days``."""

    __tablename__ = "care_pairs"
    __table_args__ = (UniqueConstraint("member_user_id", "resident_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    member_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    every_days: Mapped[int] = mapped_column(default=14)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


_PLANNED = text("state = 'planned'")
_KEPT = text("outcome = 'kept'")


class Visit(InGridUnindexed, TimestampMixin, Base):
    """One visit of one resident (see the module's documentation).

    Its indexes are the ways it is read, and no more: a recorded visit changes indexed
    columns, so every index of the table is written again for it (phones sync thousands
    a second). A person's day; a resident's visits; a community's visits by due date (a
    week's plan, coverage, the roster's last visits, the monthly figures); the visits
    still planned, by day (the chore that flags the missed ones). Nothing looks visits
    up by grid, sub-district, state or due date alone, so those columns carry no index
    of their own."""

    __tablename__ = "visits"
    __table_args__ = (
        # A person's day: their visits of a date, in walking order (and a person's visits:
        # the index's first column serves them, so it has no index of its own).
        Index("ix_visits_person_day", "person_user_id", "visit_date", "window", "position"),
        # One visit per resident, due date and source: planning twice does not double it
        # (and a resident's visits, by its first column).
        UniqueConstraint("resident_id", "due_by", "source", name="uq_visits_resident_due"),
        Index("ix_visits_community_due", "community_id", "due_by"),
        # Partial: a visit leaves it when it is recorded, and is not written into it again.
        Index(
            "ix_visits_planned_day",
            "visit_date",
            postgresql_where=_PLANNED,
            sqlite_where=_PLANNED,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    # "care" (the roster) or "pair:<id>" (a party member's pair, who then makes it).
    source: Mapped[str] = mapped_column(String(20), default="care")
    pair_id: Mapped[int | None] = mapped_column(ForeignKey("care_pairs.id"), default=None)
    due_by: Mapped[date] = mapped_column(Date)
    state: Mapped[VisitState] = mapped_column(Enum(VisitState, native_enum=False, length=20))
    version: Mapped[int] = mapped_column(default=1)
    # The plan: who, which day and window, where in the walk, arriving when.
    person_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    visit_date: Mapped[date | None] = mapped_column(Date, default=None)
    window: Mapped[VisitWindow | None] = mapped_column(
        Enum(VisitWindow, native_enum=False, length=10), default=None
    )
    position: Mapped[int | None] = mapped_column(default=None)
    arrive_at: Mapped[str | None] = mapped_column(String(5), default=None)  # "12:25"
    walk_m: Mapped[int | None] = mapped_column(default=None)  # from the previous stop
    fixed: Mapped[bool] = mapped_column(Boolean, default=False)  # placed by hand
    unplanned_reason: Mapped[str | None] = mapped_column(String(40), default=None)
    # What was found (recorded from the phone, possibly offline).
    visited_at: Mapped[datetime | None] = mapped_column(default=None)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    condition: Mapped[Condition | None] = mapped_column(
        Enum(Condition, native_enum=False, length=10), default=None
    )
    needs: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    photo: Mapped[str | None] = mapped_column(String(80), default=None)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    # Only with the visitor's consent to share where they were.
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)


class VisitEvent(Base):
    __tablename__ = "visit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[VisitState | None] = mapped_column(
        Enum(VisitState, native_enum=False, length=20), default=None
    )
    to_state: Mapped[VisitState] = mapped_column(Enum(VisitState, native_enum=False, length=20))
    note: Mapped[str | None] = mapped_column(Text, default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReportOutcome(enum.StrEnum):
    applied = "applied"  # the visit is recorded from it
    kept = "kept"  # could not apply (reassigned, already recorded): kept for the office


class ReviewDecision(enum.StrEnum):
    applied = "applied"  # the office recorded the visit from the kept report
    dismissed = "dismissed"  # not used (a duplicate of the other record …), with a note


class VisitReport(InGridUnindexed, Base):
    """A visit record as a phone sent it, once per ``ref`` (the phone's command id): the
    record of exactly-once sync, and what the office reviews when it could not be applied
    (the household was reassigned meanwhile, or someone else recorded the visit first).

    Written for every record a phone syncs, and read by its ref (the next arrival of the
    same record), by its visit, and, for the few kept to review, by community: those are
    its only indexes (the last one partial, holding the kept reports alone)."""

    __tablename__ = "visit_reports"
    __table_args__ = (
        Index(
            "ix_visit_reports_kept",
            "community_id",
            "received_at",
            postgresql_where=_KEPT,
            sqlite_where=_KEPT,
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(64), unique=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"), index=True)
    reporter_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    outcome: Mapped[ReportOutcome] = mapped_column(
        Enum(ReportOutcome, native_enum=False, length=10)
    )
    reason: Mapped[str | None] = mapped_column(String(40), default=None)
    record: Mapped[dict[str, Any]] = mapped_column(default=dict)  # as sent, for the office
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    reviewed_at: Mapped[datetime | None] = mapped_column(default=None)
    # What the office decided on a kept report, and why (a dismissal always says why).
    decision: Mapped[ReviewDecision | None] = mapped_column(
        Enum(ReviewDecision, native_enum=False, length=10), default=None
    )
    review_note: Mapped[str | None] = mapped_column(Text, default=None)
