"""Payloads of the window terminal's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from server.people.schemas import ResidentView

__all__ = [
    "CallResult",
    "CaseLine",
    "CategoryWaiting",
    "FinishIn",
    "LookupIn",
    "LookupResult",
    "PublicCall",
    "PublicQueue",
    "QueueView",
    "ResidentCard",
    "TicketIn",
    "TicketView",
    "VisitLine",
    "WindowIn",
    "WindowQueue",
    "WindowView",
    "WishLine",
]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]


class WindowIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A window as the office sets it up: its name and the kinds of business (catalogue
    category codes) it serves; no categories make it a general window 综合窗口."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    categories: Annotated[list[Code], msgspec.Meta(max_length=20)] = []
    active: bool = True


class WindowView(msgspec.Struct, frozen=True):
    id: int
    number: int
    name: str
    categories: list[str]
    category_names: list[str]  # in the reader's language; empty for a general window
    active: bool


class TicketIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A walk-in takes a number for a kind of business (a category code; none: general)."""

    category: Code | None = None


class TicketView(msgspec.Struct, frozen=True):
    id: int
    label: str  # what is printed and called: "007"
    number: int
    day: date
    category: str | None
    category_name: str  # in the reader's language (综合业务 for a general ticket)
    state: Literal["waiting", "called", "served", "missed"]
    issued_at: datetime
    called_at: datetime | None = None
    finished_at: datetime | None = None
    window_number: int | None = None
    # When issued: how many wait before it for the same windows, and which windows serve it.
    waiting_ahead: int | None = None
    windows: list[int] = []


class CallResult(msgspec.Struct, frozen=True):
    """What calling the next number did: the ticket finished at the window (if one was
    being served) and the one called now (none when nobody waits for this window)."""

    finished: TicketView | None
    called: TicketView | None


class FinishIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    outcome: Literal["served", "missed"] = "served"


class WindowQueue(msgspec.Struct, frozen=True):
    window: WindowView
    current: TicketView | None
    served: int
    missed: int
    waiting: int  # tickets waiting that this window may call
    average_wait_minutes: float | None  # issued → called, of the tickets it called today


class CategoryWaiting(msgspec.Struct, frozen=True):
    category: str | None
    name: str
    waiting: int


class QueueView(msgspec.Struct, frozen=True):
    """A community's queue of one day. ``average_wait_minutes``: the mean time from taking
    a number to being called, over the tickets called that day (a ticket still waiting
    is not counted; ``longest_waiting_minutes`` shows it)."""

    community: str
    day: date
    issued: int
    waiting: int
    called: int  # at a window now
    served: int
    missed: int
    average_wait_minutes: float | None
    longest_waiting_minutes: float | None
    windows: list[WindowQueue]
    by_category: list[CategoryWaiting]
    categories: list[CategoryWaiting]  # every kind of business a walk-in can take a number for


class PublicCall(msgspec.Struct, frozen=True):
    label: str
    window_number: int
    window_name: str
    called_at: datetime


class PublicQueue(msgspec.Struct, frozen=True):
    """The hall's display: numbers called and how many wait; no personal data."""

    community: str
    community_name: str
    day: date
    waiting: int
    calls: list[PublicCall]  # the latest first, at most 10


class LookupIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A phone number (whole or its last 4 digits), the start of a name, or an ID number.
    Sent in a POST body, so an ID number never sits in a URL or an access log."""

    q: Annotated[str, msgspec.Meta(min_length=1, max_length=30)]


class LookupResult(msgspec.Struct, frozen=True):
    kind: Literal["phone", "phone_tail", "id_number", "name"]
    items: list[ResidentView]
    more: bool  # more matched than are shown: ask for more of the name or the phone


class CaseLine(msgspec.Struct, frozen=True):
    id: int
    number: str
    item: str | None
    state: str
    state_name: str
    created_at: datetime
    due_at: datetime | None
    overdue: bool


class WishLine(msgspec.Struct, frozen=True):
    id: int
    title: str
    state: str
    created_at: datetime


class VisitLine(msgspec.Struct, frozen=True):
    id: int
    state: str
    due_by: date
    visited_at: datetime | None
    condition: str | None
    needs: list[str]


class ResidentCard(msgspec.Struct, frozen=True):
    """One walk-in on one page: who they are (phone masked), how they hear back, their
    open cases (and the last closed ones), their wishes and visits."""

    resident: ResidentView
    hears_back: list[Literal["sms", "push"]]  # empty: they ask at the window or by phone
    open_cases: list[CaseLine]
    recent_cases: list[CaseLine]
    wishes: list[WishLine]
    visits: list[VisitLine]
