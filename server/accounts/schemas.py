"""Payloads of the accounts API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from server.accounts.models import Role

__all__ = [
    "LocaleCode",
    "MeUpdate",
    "Phone",
    "PhoneReveal",
    "RoleGrant",
    "RoleView",
    "TemporaryPassword",
    "UserCreate",
    "UserDetail",
    "UserSummary",
    "UserView",
]

Phone = Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$", description="mainland mobile number")]
LocaleCode = Literal["zh_Hans", "zh_Hant", "en"]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=128)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=32, pattern=r"^[0-9A-Za-z]+$")]


class RoleView(msgspec.Struct, frozen=True):
    role: Role
    scope_level: Literal["sub_district", "community", "grid"] | None
    scope_code: str | None
    scope_name: str | None
    title: str | None = None


class UserView(msgspec.Struct, frozen=True):
    """The logged-in user, as the PWA sees themselves."""

    id: int
    name: str
    phone_masked: str
    locale: str
    roles: list[RoleView]
    # The community the person lives in (residents) or serves first; for boards and maps.
    community_code: str | None = None
    community_name: str | None = None
    party_member: bool = False
    # What the person may do (server.accounts.models.CAPABILITIES), for the PWA's screens.
    can: list[str] = msgspec.field(default_factory=list)


class MeUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    locale: LocaleCode


class RoleGrant(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    role: Role
    scope_code: Code | None = None
    title: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class UserCreate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    phone: Phone
    name: Name
    password: Password
    roles: Annotated[list[RoleGrant], msgspec.Meta(min_length=1, max_length=10)]
    locale: LocaleCode = "zh_Hans"
    home_building_code: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class UserSummary(msgspec.Struct, frozen=True):
    """A row of a staff list: phone masked (PIPL)."""

    id: int
    name: str
    phone_masked: str
    roles: list[RoleView]
    is_active: bool


class UserDetail(msgspec.Struct, frozen=True):
    id: int
    name: str
    phone_masked: str
    roles: list[RoleView]
    is_active: bool
    locale: str
    created_at: datetime
    home_building_code: str | None


class PhoneReveal(msgspec.Struct, frozen=True):
    """An unmasked phone number; every reveal is written to the audit log."""

    id: int
    phone: str


class TemporaryPassword(msgspec.Struct, frozen=True):
    """Shown once, to hand over in person; the user should change it."""

    id: int
    password: str
