"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from server.accounts.models import RoleAssignment, User
from server.audit.models import AuditEntry
from server.auth.models import LoginThrottle, RefreshToken, RevokedAccessToken
from server.db.base import Base
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from server.lib.kvstore import KVEntry

__all__ = [
    "AuditEntry",
    "Base",
    "Building",
    "Community",
    "Grid",
    "KVEntry",
    "LoginThrottle",
    "PartyOrg",
    "RefreshToken",
    "RevokedAccessToken",
    "RoleAssignment",
    "Storefront",
    "SubDistrict",
    "User",
]
