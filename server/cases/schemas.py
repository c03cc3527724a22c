"""What the cases API takes and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from server.cases.models import CloseLevel, FieldKind, HandlingMode

CaseChannel = Literal["resident_app", "patrol", "visit", "window", "hotline"]

__all__ = [
    "CatalogueView",
    "CategoryIn",
    "CategoryView",
    "ChoiceIn",
    "FieldIn",
    "ItemIn",
    "ItemView",
    "Names",
]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[a-z0-9_]+$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
Label = Annotated[str, msgspec.Meta(min_length=1, max_length=60)]


class Names(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A name in the three languages of the app."""

    zh_Hans: Name
    zh_Hant: Name
    en: Name


class ChoiceIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    value: Code
    label: Names


class FieldIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """An extra field intake fills in: text, number, date (YYYY-MM-DD) or one of ``choices``."""

    key: Code
    kind: FieldKind
    label: Names
    required: bool = False
    choices: Annotated[list[ChoiceIn], msgspec.Meta(max_length=30)] = []


class CategoryIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    names: Names
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class ItemIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A service item as an administrator writes it (create with a new ``code``, or update)."""

    category: Code
    names: Names
    close_level: CloseLevel
    deadline_hours: Annotated[int, msgspec.Meta(ge=1, le=2000)]
    mode: HandlingMode
    fields: Annotated[list[FieldIn], msgspec.Meta(max_length=20)] = []
    # Only when ``close_level`` is ``department``: its name, its liaison and their work phone.
    department: Names | None = None
    liaison: Annotated[str, msgspec.Meta(min_length=1, max_length=50)] | None = None
    liaison_phone: Annotated[str, msgspec.Meta(pattern=r"^[0-9-]{5,20}$")] | None = None
    active: bool = True
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class NewItem(ItemIn, forbid_unknown_fields=True, frozen=True, kw_only=True):
    code: Code


class ChoiceView(msgspec.Struct, frozen=True):
    value: str
    label: str  # in the reader's language


class FieldView(msgspec.Struct, frozen=True):
    key: str
    kind: FieldKind
    label: str  # in the reader's language
    required: bool
    choices: list[ChoiceView]


class ItemView(msgspec.Struct, frozen=True):
    code: str
    category: str
    name: str  # in the reader's language
    names: dict[str, str]  # all three, for the editor
    close_level: CloseLevel
    deadline_hours: int
    mode: HandlingMode
    fields: list[FieldView]
    active: bool
    department: str | None = None  # in the reader's language
    # Staff only (a work contact, not shown to residents or anonymous readers).
    liaison: str | None = None
    liaison_phone: str | None = None


class CategoryView(msgspec.Struct, frozen=True):
    code: str
    name: str
    names: dict[str, str]
    items: list[ItemView]


class CatalogueView(msgspec.Struct, frozen=True):
    categories: list[CategoryView]


HHMM = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class WorkHoursIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A community's working periods of the day, e.g. ``[["08:30", "12:00"], ["14:00", "17:30"]]``."""

    periods: Annotated[
        list[Annotated[list[HHMM], msgspec.Meta(min_length=2, max_length=2)]],
        msgspec.Meta(min_length=1, max_length=4),
    ]


class WorkHoursView(msgspec.Struct, frozen=True):
    community: str
    periods: list[list[str]]
    default: bool  # the city's default hours (no hours of its own)


# --- cases ------------------------------------------------------------------------------

Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
MediaKey = Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
Lon = Annotated[float, msgspec.Meta(ge=-180, le=180)]
Lat = Annotated[float, msgspec.Meta(ge=-90, le=90)]


class CaseCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A new case. Who reports it follows from ``channel``:

    - ``resident_app``: a registered resident, for themself (the default for residents);
    - ``patrol``: a grid worker (any staff) who found it;
    - ``visit``: staff, from a need found on visit ``visit_id`` (its resident reports);
    - ``window``: the office, for resident ``resident_id`` with ``consent_note``;
    - ``hotline``: staff, for a caller known only by ``contact_phone`` / ``contact_email``.

    Where: the point (``lon``/``lat``) fixes the grid; without one the resident's building;
    otherwise ``grid_code``. Staff take in nothing outside their scope.
    """

    item: Code
    description: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    channel: CaseChannel | None = None
    fields: dict[str, Any] = {}
    lon: Lon | None = None
    lat: Lat | None = None
    grid_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    photos: Annotated[list[MediaKey], msgspec.Meta(max_length=6)] = []
    resident_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    visit_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    contact_phone: Annotated[str, msgspec.Meta(pattern=r"^\+?[0-9]{5,20}$")] | None = None
    contact_email: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    consent_note: Reason | None = None


class CaseActionIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The body of a case action; each action reads the fields it names (see its summary).
    ``expected_version``: the version the person saw (409 ``stale`` if it changed)."""

    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None
    reason: Reason | None = None
    note: Note | None = None
    item: Code | None = None
    fields: dict[str, Any] | None = None
    assignee_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None
    grid_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    photo: MediaKey | None = None
    satisfaction: Annotated[int, msgspec.Meta(ge=1, le=3)] | None = None
    hours: Annotated[int, msgspec.Meta(ge=1, le=400)] | None = None
    into_case_id: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None = None


class CaseEventView(msgspec.Struct, frozen=True):
    at: datetime
    action: str
    from_state: str | None
    to_state: str
    note: str | None
    actor: str | None  # staff only: who did it (name)


class ItemRef(msgspec.Struct, frozen=True):
    code: str
    name: str
    close_level: CloseLevel
    deadline_hours: int


class CaseView(msgspec.Struct, frozen=True):
    id: int
    number: str
    state: str
    state_name: str  # in the reader's language
    version: int
    channel: str
    item: ItemRef | None
    description: str
    community: str  # its code
    grid: str  # its name, in the reader's language
    level: CloseLevel
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str]
    # The reporter: a name masked in lists (in full for staff on a case's page and for the
    # reporter), a phone masked always and only for staff.
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
    merged_into: str | None = None  # the number of the case it was merged into
    history: list[CaseEventView] | None = None  # on a case's own page


class CasePage(msgspec.Struct, frozen=True):
    items: list[CaseView]
    total: int
    limit: int
    offset: int
