"""What the wish board tells people, and the chore that expires wishes nobody claimed.

Registered with notify and housekeeping at start (:func:`register`), so those
modules know nothing of wishes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.housekeeping import register_chore
from server.lib.i18n import N_
from server.notify.templates import Template, register_templates
from server.wishes.services import WishService

__all__ = ["TEMPLATES", "expire_wishes", "register"]

#: Registered as ``wish.<name>``.
TEMPLATES = {
    "new": Template(
        N_("New wish to review"),
        N_("{community}: “{title}” is waiting for review"),
        ("community", "title"),
    ),
    "approved": Template(
        N_("Your wish is on the board"),
        N_("Your wish “{title}” has been approved and published"),
        ("title",),
    ),
    "rejected": Template(
        N_("Your wish was not published"),
        N_("Your wish “{title}” was not published: {reason}"),
        ("title", "reason"),
    ),
    "claimed": Template(
        N_("Someone will help"),
        N_("Your wish “{title}” was taken up by {claimant}"),
        ("title", "claimant"),
    ),
    "released": Template(
        N_("Your wish is open again"),
        N_("Your wish “{title}” is back on the board for someone else to take up"),
        ("title",),
    ),
    "fulfilled": Template(
        N_("Your wish has been fulfilled"),
        N_("“{title}” is done. Please confirm it in Linli or tell your grid worker"),
        ("title",),
    ),
    "confirmed": Template(
        N_("Thank you"),
        N_("“{title}” was confirmed; {hours} volunteer hours credited"),
        ("title", "hours"),
    ),
}


async def expire_wishes(session: AsyncSession, now: datetime) -> int:
    """Approved wishes nobody claimed before they expired."""
    return await WishService(session).expire_due(now)


def register() -> None:
    register_templates("wish", TEMPLATES)
    register_chore("wishes_expired", expire_wishes)
