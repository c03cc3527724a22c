"""Payloads of the auth API."""

from __future__ import annotations

from typing import Annotated

import msgspec

from server.accounts.schemas import UserView

__all__ = ["LoginRequest", "LogoutRequest", "RefreshRequest", "TokenPair"]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    phone: Annotated[str, msgspec.Meta(min_length=1, max_length=20)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class LogoutRequest(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    refresh_token: Annotated[str, msgspec.Meta(max_length=200)] | None = None


class TokenPair(msgspec.Struct, frozen=True):
    access_token: str
    refresh_token: str
    expires_in: int
    user: UserView
    token_type: str = "Bearer"  # noqa: S105 - the scheme name, not a secret
