"""Payloads of the caring-business API."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ["BusinessUpdate", "BusinessView"]


class BusinessUpdate(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Register a storefront as a caring business, change it, or (active=false) step it back."""

    offer: Annotated[str, msgspec.Meta(max_length=200)] = ""
    # The phone of the account that claims wishes for it; None keeps it without one
    # (then only community staff claim in its name).
    contact_phone: Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$")] | None = None
    active: bool = True


class BusinessView(msgspec.Struct, frozen=True):
    code: str  # the storefront's code
    name: str
    address: str
    trade: str | None
    grid: str
    caring: bool  # registered and active
    offer: str = ""
    contact: str | None = None  # masked name of the contact account
