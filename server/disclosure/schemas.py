"""What the disclosure API takes and answers."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from server.disclosure.models import CommitmentStatus, EvaluationKind, Grade, Period

__all__ = [
    "CaseExample",
    "CategoryCount",
    "CommitmentEdit",
    "CommitmentIn",
    "CommitmentView",
    "DisclosureEditView",
    "EvaluationIn",
    "EvaluationView",
    "Figures",
    "PublicCommitment",
    "PublicCommunity",
    "PublicDisclosure",
    "PublicEvaluation",
    "Texts",
]

# Printable text: control characters (NUL above all, which PostgreSQL refuses to store)
# are bad input, a 400, not a 500.
PRINTABLE = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
Year = Annotated[int, msgspec.Meta(ge=2000, le=2100)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=120, pattern=PRINTABLE)]
Target = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=PRINTABLE)]
Note = Annotated[str, msgspec.Meta(max_length=300, pattern=PRINTABLE)]


class Texts(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Optional translations of a text written in zh_Hans (empty: shown in zh_Hans)."""

    zh_Hant: Note = ""
    en: Note = ""


class CommitmentIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A new commitment: a title and a target (a figure or a sentence), in zh_Hans with
    optional zh_Hant and en."""

    year: Year
    title: Title
    target: Target
    title_i18n: Texts = Texts()
    target_i18n: Texts = Texts()
    due_date: date | None = None
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] = 0


class CommitmentEdit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A change to a commitment: any of its texts, and how far it has got (status and a
    public note). Fields left out stay as they are."""

    title: Title | None = None
    target: Target | None = None
    title_i18n: Texts | None = None
    target_i18n: Texts | None = None
    due_date: date | None = None
    clear_due_date: bool = False
    position: Annotated[int, msgspec.Meta(ge=0, le=1000)] | None = None
    status: CommitmentStatus | None = None
    progress_note: Note | None = None
    progress_note_i18n: Texts | None = None


class CommitmentView(msgspec.Struct, frozen=True):
    """A commitment as the office edits it: every language."""

    id: int
    community: str
    year: int
    position: int
    title: str
    title_i18n: dict[str, str]
    target: str
    target_i18n: dict[str, str]
    due_date: date | None
    status: CommitmentStatus
    progress_note: str
    progress_note_i18n: dict[str, str]


class EvaluationIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """One evaluation of a period: residents' (the office, from a survey) or the level
    above's (the sub-district). Recording it again replaces it."""

    year: Year
    period: Period
    kind: EvaluationKind
    grade: Grade
    score: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    respondents: Annotated[int, msgspec.Meta(ge=0, le=1_000_000)] | None = None
    note: Note = ""
    note_i18n: Texts = Texts()


class EvaluationView(msgspec.Struct, frozen=True):
    id: int
    community: str
    year: int
    period: Period
    kind: EvaluationKind
    grade: Grade
    score: int | None
    respondents: int | None
    note: str
    note_i18n: dict[str, str]


class DisclosureEditView(msgspec.Struct, frozen=True):
    """A community's commitments and evaluations of a year, for the office's editor, and
    what the caller may record."""

    community: str
    community_name: str
    year: int
    commitments: list[CommitmentView]
    evaluations: list[EvaluationView]
    may_edit: bool  # commitments and residents' evaluations: the office
    may_record_superior: bool  # the level above's evaluation: the sub-district


# --- the public page ---------------------------------------------------------------------


class PublicCommitment(msgspec.Struct, frozen=True):
    title: str
    target: str
    due_date: date | None
    status: CommitmentStatus
    status_label: str
    progress_note: str


class PublicEvaluation(msgspec.Struct, frozen=True):
    period: Period
    period_label: str
    kind: EvaluationKind
    kind_label: str
    grade: Grade
    grade_label: str
    score: int | None
    respondents: int | None
    note: str


class CategoryCount(msgspec.Struct, frozen=True):
    """Cases of one service category this year: taken in, still open, done."""

    category: str
    received: int
    open: int
    done: int


class CaseExample(msgspec.Struct, frozen=True):
    """A case with nothing of who reported it: what, which grid, where it stands, when."""

    item: str
    grid: str
    state: str
    state_label: str
    received_on: date
    done_on: date | None


class Figures(msgspec.Struct, frozen=True):
    """The year's figures, counted from the cases, wishes and visits of the community.

    ``cases_done`` counts cases resolved or closed; rejected and merged cases are neither
    open nor done (see docs/disclosure.md)."""

    cases_received: int
    cases_open: int
    cases_done: int
    wishes_fulfilled: int
    visits_made: int
    by_category: list[CategoryCount]


class PublicDisclosure(msgspec.Struct, frozen=True):
    """三公开 of a community for a year: commitments, work in progress, results, and the
    two evaluations. No personal data."""

    community: str
    community_name: str
    year: int
    years: list[int]  # years with anything to show, newest first
    commitments: list[PublicCommitment]
    figures: Figures
    in_progress: list[CaseExample]
    recently_done: list[CaseExample]
    evaluations: list[PublicEvaluation]


class PublicCommunity(msgspec.Struct, frozen=True):
    """A community with a public page, for the page's picker (names only)."""

    code: str
    name: str
    sub_district: str
