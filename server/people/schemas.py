"""Payloads of the people API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from server.people.models import NotifyVia, PartyMemberKind

__all__ = [
    "Availability",
    "CommunityHours",
    "HoursEntry",
    "HoursEntryByPerson",
    "ImportRejection",
    "ImportReport",
    "MemberView",
    "MyHours",
    "PartyMemberIn",
    "PartyMemberView",
    "ResidentCreate",
    "ResidentPage",
    "ResidentPassword",
    "ResidentUpdate",
    "ResidentView",
    "Revealed",
    "ServiceGroupMemberIn",
    "ServiceGroupView",
    "TermView",
    "TimelineEntry",
    "TimelineView",
    "VocabularyView",
    "VolunteerOrgIn",
    "VolunteerOrgView",
    "VolunteerProfileIn",
    "VolunteerView",
]


class HoursEntry(msgspec.Struct, frozen=True):
    hours: float
    source_type: str
    source_id: int
    credited_at: datetime


class MyHours(msgspec.Struct, frozen=True):
    """志愿服务时长: my total and the latest entries."""

    total: float
    entries: list[HoursEntry]


Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
PhoneOpt = Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$")] | None
IdNumber = Annotated[str, msgspec.Meta(pattern=r"^\d{17}[\dXx]$")]


class ResidentCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Name
    building_code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    phone: PhoneOpt = None
    unit: Annotated[str, msgspec.Meta(max_length=40)] = ""
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None
    is_minor: bool = False
    care_tags: Annotated[list[str], msgspec.Meta(max_length=20)] = []
    id_number: IdNumber | None = None
    notify_via: NotifyVia = NotifyVia.both
    locale: Literal["zh_Hans", "zh_Hant", "en"] = "zh_Hans"


class ResidentUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    phone: PhoneOpt = None
    unit: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    care_tags: Annotated[list[str], msgspec.Meta(max_length=20)] | None = None
    notify_via: NotifyVia | None = None
    # When they are home for a staggered-hour visit ("" : either window).
    visit_window: Literal["noon", "evening", ""] | None = None


class ResidentView(msgspec.Struct, frozen=True):
    """A resident as staff in scope see them: phone masked, ID number never (reveal is audited)."""

    id: int
    name: str
    phone_masked: str | None
    building_code: str
    building: str
    unit: str
    grid_code: str
    birth_year: int | None
    is_minor: bool
    care_tags: list[str]
    has_id_number: bool
    has_account: bool
    notify_via: NotifyVia
    visit_window: str | None = None


class ResidentPage(msgspec.Struct, frozen=True):
    """One page of a resident search: ``total`` matches in all, ``items`` from ``offset``."""

    total: int
    items: list[ResidentView]
    limit: int
    offset: int


class ResidentPassword(msgspec.Struct, frozen=True):
    """A one-time password for a resident, shown once to the staff member who hands it over.

    The resident logs in with their mobile number (``phone_masked`` here) and this password.
    """

    resident_id: int
    user_id: int
    phone_masked: str
    password: str
    account_created: bool


class Revealed(msgspec.Struct, frozen=True):
    id: int
    field: str
    value: str


class ImportRejection(msgspec.Struct, frozen=True):
    row: int  # 1-based, the header is row 1
    reason: str  # in the reader's language, naming the column
    column: str | None = None  # the header as the sheet spells it; None: the row or the file


class ImportReport(msgspec.Struct, frozen=True):
    ok: bool
    rows: int
    created: int
    updated: int
    rejected: list[ImportRejection]


class Availability(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    weekday: Annotated[int, msgspec.Meta(ge=0, le=6)]
    start: Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    end: Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")]


class VolunteerProfileIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    trades: Annotated[list[str], msgspec.Meta(max_length=10)] = []
    availability: Annotated[list[Availability], msgspec.Meta(max_length=21)] = []


class VolunteerView(msgspec.Struct, frozen=True):
    user_id: int
    name: str
    phone_masked: str
    trades: list[str]
    availability: list[Availability]
    party_member: str | None
    hours: float
    # May the caller change this person's trades, availability, party membership and
    # password (they outrank them in their area)? False for one's own profile.
    manageable: bool = False


class PartyMemberIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    kind: PartyMemberKind
    reported_community_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None


class MemberView(msgspec.Struct, frozen=True):
    """A member of a service group or volunteer organisation (phone masked)."""

    user_id: int
    name: str
    phone_masked: str
    trade: str | None = None


class PartyMemberView(msgspec.Struct, frozen=True):
    """A party member as the community sees them (phone masked)."""

    user_id: int
    name: str
    phone_masked: str
    kind: PartyMemberKind
    reported_community_code: str | None  # 在职党员: the residential community reported to
    reported_community: str | None
    reported_at: datetime | None
    party_org: str | None  # the party branch of their community


class ServiceGroupView(msgspec.Struct, frozen=True):
    id: int
    name: str
    grid_code: str
    leader: str | None
    members: list[str]  # names, for a quick look; ``people`` has who they are
    people: list[MemberView] = []
    leader_user_id: int | None = None


class ServiceGroupMemberIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    user_id: Annotated[int, msgspec.Meta(ge=1)]
    trade: Annotated[str, msgspec.Meta(max_length=30)] | None = None


class HoursEntryByPerson(msgspec.Struct, frozen=True):
    name: str
    hours: float


class CommunityHours(msgspec.Struct, frozen=True):
    community: str
    total: float
    people: list[HoursEntryByPerson]


class VolunteerOrgIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=100)]
    community_code: Annotated[str, msgspec.Meta(max_length=32)]
    leader_user_id: Annotated[int, msgspec.Meta(ge=1)] | None = None


class VolunteerOrgView(msgspec.Struct, frozen=True):
    id: int
    name: str
    community_code: str
    leader: str | None
    members: list[str]  # names, for a quick look; ``people`` has who they are
    people: list[MemberView] = []
    leader_user_id: int | None = None
    community: str | None = None  # the community's name in the reader's language


class TermView(msgspec.Struct, frozen=True):
    code: str
    label: str | None = None  # set for a deployment's own terms; the PWA names the defaults


class VocabularyView(msgspec.Struct, frozen=True):
    """The care tags and trades this deployment uses (LINLI_CARE_TAGS / LINLI_TRADES add to them)."""

    care_tags: list[TermView]
    trades: list[TermView]


class NotifyPreferences(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """How a resident hears back about their wishes: push, SMS or both."""

    via: NotifyVia


class TimelineEntry(msgspec.Struct, frozen=True, omit_defaults=True):
    """One thing that happened to a resident: a visit, or a change of a wish posted for them.

    ``on`` is the local date (Asia/Shanghai): the visit's day (visited, else planned, else
    due by), or the day of the wish's change; ``at`` the moment where one is known."""

    kind: Literal["visit", "wish"]
    on: date
    at: datetime | None = None
    who: str | None = None  # the visitor; a wish's actor, masked
    # A visit.
    visit_id: int | None = None
    visit_state: str | None = None
    due_by: date | None = None
    condition: str | None = None
    needs: list[str] = []
    notes: str | None = None
    urgent: bool = False
    # A wish's change.
    wish_id: int | None = None
    title: str | None = None
    action: str | None = None
    wish_state: str | None = None


class TimelineView(msgspec.Struct, frozen=True):
    """A resident's visits and wishes, newest first. No phone, no ID number (PIPL)."""

    resident_id: int
    name: str
    grid_code: str
    care_tags: list[str]
    items: list[TimelineEntry]
    more: bool  # older entries were left out (``limit``)
