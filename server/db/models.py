"""Imports every domain's models so the metadata is complete (Alembic, tests)."""

from server.accounts.models import RoleAssignment, User
from server.audit.models import AuditEntry
from server.auth.models import LoginThrottle, RefreshToken, RevokedAccessToken
from server.boards.tally import case_tallies
from server.businesses.models import CaringBusiness
from server.cases.calendar import CalendarDay
from server.cases.models import (
    Case,
    CaseCounter,
    CaseEvent,
    CommunityWorkHours,
    ServiceCategory,
    ServiceItem,
)
from server.db.base import Base
from server.disclosure.models import Commitment, Evaluation
from server.grids.models import Building, Community, Grid, PartyOrg, Storefront, SubDistrict
from server.lib.kvstore import KVEntry
from server.media.models import Media
from server.notify.models import (
    AppSecret,
    CommunityNotifySettings,
    Notification,
    OptOut,
    PushSubscription,
)
from server.open311.models import Open311Key, Open311Request
from server.people.models import (
    Household,
    PartyMember,
    Resident,
    ServiceGroup,
    ServiceGroupMember,
    VolunteerHours,
    VolunteerOrg,
    VolunteerOrgMember,
    VolunteerProfile,
)
from server.visits.models import CarePair, CareSettings, Visit, VisitEvent, VisitReport
from server.window.models import ServiceWindow, Ticket, TicketCounter
from server.wishes.models import Wish, WishEvent

__all__ = [
    "AppSecret",
    "AuditEntry",
    "Base",
    "Building",
    "CalendarDay",
    "CarePair",
    "CareSettings",
    "CaringBusiness",
    "Case",
    "CaseCounter",
    "CaseEvent",
    "Commitment",
    "Community",
    "CommunityNotifySettings",
    "CommunityWorkHours",
    "Evaluation",
    "Grid",
    "Household",
    "KVEntry",
    "LoginThrottle",
    "Media",
    "Notification",
    "Open311Key",
    "Open311Request",
    "OptOut",
    "PartyMember",
    "PartyOrg",
    "PushSubscription",
    "RefreshToken",
    "Resident",
    "RevokedAccessToken",
    "RoleAssignment",
    "ServiceCategory",
    "ServiceGroup",
    "ServiceGroupMember",
    "ServiceItem",
    "ServiceWindow",
    "Storefront",
    "SubDistrict",
    "Ticket",
    "TicketCounter",
    "User",
    "Visit",
    "VisitEvent",
    "VisitReport",
    "VolunteerHours",
    "VolunteerOrg",
    "VolunteerOrgMember",
    "VolunteerProfile",
    "Wish",
    "WishEvent",
    "case_tallies",
]
