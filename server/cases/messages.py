"""What the cases domain tells people, and the chore that watches deadlines.

Registered with notify and housekeeping at start (:func:`register`): the reporter
hears when their case is accepted or refused, when another item gives it a new date,
always when it is finished (with the invitation to rate it, which an SMS or e-mail
reply 1/2/3 answers), and at the callback; staff
hear of new, returned, transferred, escalated, supervised and overdue cases, and the
assignee of what is dispatched to them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from server.housekeeping import register_chore
from server.lib.i18n import N_
from server.notify.templates import Template, register_templates

__all__ = ["TEMPLATES", "case_deadlines", "register"]

#: Registered as ``case.<name>``.
TEMPLATES = {
    "new": Template(
        N_("New case"),
        N_("New case {number} in {grid}: {item}"),
        ("number", "grid", "item"),
    ),
    "accepted": Template(
        N_("Your case was accepted"),
        N_("Your case {number} ({item}) was accepted; it will be handled by {due}"),
        ("number", "item", "due"),
    ),
    "rejected": Template(
        N_("Your case was not accepted"),
        N_("Your case {number} was not accepted: {reason}"),
        ("number", "reason"),
    ),
    "finished": Template(
        N_("Your case is finished"),
        N_(
            "Your case {number} is finished: {resolution}. How satisfied are you? "
            "Reply 1 satisfied, 2 fairly satisfied, 3 not satisfied"
        ),
        ("number", "resolution"),
    ),
    "rated": Template(
        N_("Thank you for your rating"),
        N_("Thank you for rating case {number}"),
        ("number",),
    ),
    "merged": Template(
        N_("Your case is handled with another"),
        N_("Your case {number} repeats case {into}; you will hear when that one is finished"),
        ("number", "into"),
    ),
    "reclassified": Template(
        N_("Your case was reclassified"),
        N_("Your case {number} is now handled as: {item}; it will be handled by {due}"),
        ("number", "item", "due"),
    ),
    "dispatched": Template(
        N_("A case for you"),
        N_("Case {number} ({item}) is yours; due by {due}"),
        ("number", "item", "due"),
    ),
    "returned": Template(
        N_("A case was returned"),
        N_("Case {number} was returned: {reason}"),
        ("number", "reason"),
    ),
    "escalated": Template(
        N_("A case was escalated"),
        N_("Case {number} was escalated up to: {level}. {reason}"),
        ("number", "level", "reason"),
    ),
    "supervised": Template(
        N_("Supervision note"),
        N_("Case {number}: {note}"),
        ("number", "note"),
    ),
    # Replies to SMS (server.cases.inbound).
    "sms_received": Template(
        N_("Case received"),
        N_("We received your case {number}; you will have an answer by {due}"),
        ("number", "due"),
    ),
    "sms_status": Template(
        N_("Your case"),
        N_("Case {number}: {state}; due by {due}"),
        ("number", "state", "due"),
    ),
    "sms_unknown": Template(
        N_("No such case"),
        N_("You have no case {number}"),
        ("number",),
    ),
    "sms_unplaced": Template(
        N_("Please call your community"),
        N_("We could not take your message as a case; please call your community office"),
        (),
    ),
    # The e-mail counterpart (server.cases.inbound), which is not an SMS.
    "email_unplaced": Template(
        N_("Please call your community"),
        N_("We could not take your e-mail as a case; please call your community office"),
        (),
    ),
    "due_soon": Template(
        N_("A case is due soon"),
        N_("Case {number} ({item}) is due by {due}"),
        ("number", "item", "due"),
    ),
    "overdue": Template(
        N_("A case is overdue"),
        N_("Case {number} ({item}) was due by {due}"),
        ("number", "item", "due"),
    ),
}


async def case_deadlines(session: AsyncSession, now: datetime) -> int:
    """Reminders before a deadline, escalation one level up after it."""
    from server.cases.services import CaseService

    return await CaseService(session).watch_deadlines(now)


def register() -> None:
    from server.cases import inbound

    register_templates("case", TEMPLATES)
    register_chore("case_deadlines", case_deadlines)
    inbound.register()
