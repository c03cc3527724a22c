"""What Open311 GeoReport v2 answers (field names and order as the specification has them),
and what the administrators' key endpoints take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

__all__ = [
    "Attribute",
    "AttributeValue",
    "Created",
    "Discovery",
    "Endpoint",
    "Error",
    "KeyIn",
    "KeyIssued",
    "KeyView",
    "Service",
    "ServiceDefinition",
    "ServiceRequest",
    "TokenAnswer",
]


class Service(msgspec.Struct, frozen=True):
    """One service (a service item of the catalogue)."""

    service_code: str
    service_name: str
    description: str | None
    metadata: bool  # the item has extra fields: see its service definition
    type: str  # always "realtime": a request is a case at once
    keywords: str | None
    group: str | None  # the item's category


class AttributeValue(msgspec.Struct, frozen=True):
    key: str
    name: str


class Attribute(msgspec.Struct, frozen=True):
    """One extra field of an item, posted as ``attribute[code]=value``."""

    variable: bool
    code: str
    datatype: str  # string, number, datetime, singlevaluelist
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[AttributeValue]


class ServiceDefinition(msgspec.Struct, frozen=True):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(msgspec.Struct, frozen=True):
    """A case as the public sees it: no reporter, no resident's words, a place to ~100 m or
    the grid's centre (see docs/open311.md)."""

    service_request_id: str  # the case number
    status: str  # open or closed
    status_notes: str | None
    service_name: str | None
    service_code: str | None
    description: str | None
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None  # the grid and community, never a home address
    address_id: str | None
    zipcode: str | None
    lat: float | None
    long: float | None
    media_url: str | None


class Created(msgspec.Struct, frozen=True):
    """The answer to a POSTed request: the case it became (taken in at once, so no token)."""

    service_request_id: str
    service_notice: str | None
    account_id: None = None


class TokenAnswer(msgspec.Struct, frozen=True):
    service_request_id: str
    token: str


class Endpoint(msgspec.Struct, frozen=True):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(msgspec.Struct, frozen=True):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Error(msgspec.Struct, frozen=True):
    """The specification's error: its HTTP status and a sentence in the caller's language."""

    code: int
    description: str


# --- the administrators' keys ---------------------------------------------------------------


class KeyIn(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """A key to issue: ``name`` says who it is for (an app, a partner)."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class KeyView(msgspec.Struct, frozen=True):
    id: int
    name: str
    prefix: str  # the key's first characters, to tell keys apart
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyIssued(KeyView, frozen=True, kw_only=True):
    """A new key: ``api_key`` is shown this once; only its hash is kept."""

    api_key: str
