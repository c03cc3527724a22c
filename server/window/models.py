"""The community service centre's windows 窗口 and the day's queue tickets 排队号.

A community has numbered windows, each for some kinds of business (catalogue
categories: 社会保障, 民政 …; none means a general window 综合窗口). A walk-in takes a
ticket for a kind of business; a window calls the next ticket that fits it. Tickets
are per community and per local day: numbers start at 1 every morning.

A ticket holds no personal data: the person behind a number is looked up at the window
(:mod:`server.window.services`, audited), not written on the ticket.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from server.db.base import Base, TimestampMixin, UTCDateTime
from server.grids.models import InCommunity

__all__ = ["ServiceWindow", "Ticket", "TicketCounter", "TicketState"]


class ServiceWindow(InCommunity, TimestampMixin, Base):
    """One window of a community's service centre."""

    __tablename__ = "service_windows"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column()  # 1 … 99, as painted above the window
    name: Mapped[str] = mapped_column(String(40))  # 劳动保障, 综合受理 …
    # Catalogue category codes this window serves; empty: a general window (any business).
    categories: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TicketState(enum.StrEnum):
    waiting = "waiting"  # 等候
    called = "called"  # 已叫号 (being served at ``window_id``)
    served = "served"  # 已办理
    missed = "missed"  # 过号 (called, did not come)


class Ticket(InCommunity, Base):
    """A queue ticket of one day: its number, its business, and where it was served."""

    __tablename__ = "window_tickets"
    __table_args__ = (
        UniqueConstraint("community_id", "day", "number"),
        Index("ix_window_tickets_day_state", "community_id", "day", "state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)  # the local day it was issued
    number: Mapped[int] = mapped_column()
    category: Mapped[str | None] = mapped_column(String(32), default=None)  # None: general
    state: Mapped[TicketState] = mapped_column(
        Enum(TicketState, native_enum=False, length=10), default=TicketState.waiting
    )
    window_id: Mapped[int | None] = mapped_column(
        ForeignKey("service_windows.id"), index=True, default=None
    )
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    called_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    served_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)


class TicketCounter(Base):
    """The last ticket number given at a community on a day."""

    __tablename__ = "window_ticket_counters"

    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(default=0)
