"""What the cases API takes and answers."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.cases.models import CloseLevel, FieldKind, HandlingMode

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
