"""Payloads of the wish API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

from server.wishes.models import ClaimantKind, WishCategory
from server.wishes.states import State

__all__ = [
    "BoardItem",
    "ClaimBusiness",
    "ClaimGroup",
    "ClaimOptions",
    "ClaimRequest",
    "ConfirmRequest",
    "FulfilRequest",
    "ModerationEdit",
    "RejectRequest",
    "ThanksItem",
    "TransitionRequest",
    "WishCreate",
    "WishEventView",
    "WishStats",
    "WishView",
]

Title = Annotated[str, msgspec.Meta(min_length=2, max_length=60)]
Text = Annotated[str, msgspec.Meta(max_length=1000)]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
MediaKey = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
class WishCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    title: Title
    category: WishCategory
    description: Text = ""
    photo: MediaKey | None = None
    # A map point; without it the beneficiary's building places the wish.
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    # Staff posting for a resident: who, and their consent (both required then).
    beneficiary_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    consent_note: Note | None = None


class ModerationEdit(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Title and description while the wish is waiting or on the board; the thank-you once
    it is confirmed ("" takes it off the public thanks wall)."""

    title: Title | None = None
    description: Text | None = None
    thanks: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TransitionRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The optional body of approve, release and withdraw."""

    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class RejectRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    reason: Note
    # The version the client saw: a replayed action (offline queue) that already took effect
    # then answers 409 "stale" instead of acting twice.
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class ClaimRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    kind: ClaimantKind = ClaimantKind.volunteer
    service_group_id: Annotated[int, msgspec.Meta(ge=1)] | None = None
    storefront_code: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    # The version the client saw: a replayed action (offline queue) that already took effect
    # then answers 409 "stale" instead of acting twice.
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class FulfilRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    note: Note
    photo: MediaKey | None = None
    # The version the client saw: a replayed action (offline queue) that already took effect
    # then answers 409 "stale" instead of acting twice.
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class ConfirmRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    thanks: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    # Hours credited to the claimant; staff may set them, residents get the default.
    hours: Annotated[float, msgspec.Meta(ge=0, le=24)] | None = None
    # The version the client saw: a replayed action (offline queue) that already took effect
    # then answers 409 "stale" instead of acting twice.
    expected_version: Annotated[int, msgspec.Meta(ge=1)] | None = None


class BoardItem(msgspec.Struct, frozen=True):
    """A wish as the public board shows it: the beneficiary masked, minors not at all."""

    id: int
    title: str
    description: str
    category: WishCategory
    state: State
    beneficiary: str  # 王** · 3号楼
    community: str
    grid: str
    lon: float
    lat: float
    created_at: datetime
    expires_at: datetime
    photo: str | None = None


class ThanksItem(msgspec.Struct, frozen=True):
    """A confirmed wish on the thanks wall 感谢墙: what was done, by whom, the resident's words."""

    id: int
    title: str
    category: WishCategory
    thanks: str  # long digit runs (phone numbers) masked
    helper: str  # a caring business or service group by name, a person masked (郑**)
    helper_kind: ClaimantKind
    community: str
    grid: str
    confirmed_at: datetime
    photo: str | None = None


class WishEventView(msgspec.Struct, frozen=True):
    at: datetime
    action: str
    from_state: State | None
    to_state: State
    actor_id: int | None
    note: str | None


class WishView(msgspec.Struct, frozen=True):
    """A wish in full, for its beneficiary, its claimant and staff in scope."""

    id: int
    title: str
    description: str
    category: WishCategory
    state: State
    version: int
    beneficiary: str  # full name only for those allowed, else masked
    building: str | None
    community: str
    grid: str
    lon: float
    lat: float
    created_at: datetime
    expires_at: datetime
    on_behalf: bool
    photo: str | None
    reject_reason: str | None
    claimant: str | None
    claimant_kind: str | None
    proof_note: str | None
    proof_photo: str | None
    thanks: str | None
    history: list[WishEventView]
    original_title: str | None = None
    original_description: str | None = None
    beneficiary_phone: str | None = None  # masked; unmasking goes through the audit log
    # What the caller may do now (approve, reject, edit, claim, release, fulfil, confirm,
    # withdraw): the PWA shows these buttons and no others.
    allowed_actions: list[str] = msgspec.field(default_factory=list)
    community_code: str = ""  # for the claim options of its community


class WishAddress(msgspec.Struct, frozen=True):
    """Where the claimer of a wish goes to help (shown on request, audited)."""

    building: str | None
    unit: str | None
    lon: float
    lat: float


class ClaimGroup(msgspec.Struct, frozen=True):
    id: int
    name: str


class ClaimBusiness(msgspec.Struct, frozen=True):
    code: str
    name: str


class ClaimOptions(msgspec.Struct, frozen=True):
    """In whose name the caller may claim wishes of one community."""

    kinds: list[ClaimantKind]
    service_groups: list[ClaimGroup]
    businesses: list[ClaimBusiness]


class Contributor(msgspec.Struct, frozen=True):
    name: str
    fulfilled: int


class WishStats(msgspec.Struct, frozen=True):
    community: str
    since: datetime
    until: datetime
    posted: int
    approved: int
    claimed: int
    fulfilled: int
    confirmed: int
    median_hours_to_fulfil: float | None
    top_contributors: list[Contributor]
