"""What each notification says, per template key, as Babel messages.

The outbox stores the template key and its parameters; the text is rendered in
the recipient's language when it is sent, so a message written at 21:00 and
held until the morning by quiet hours still reads right.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.lib.i18n import N_, translate

__all__ = ["TEMPLATES", "Template", "render"]


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    body: str
    params: tuple[str, ...]  # in order: Tencent SMS templates take positional parameters


TEMPLATES: dict[str, Template] = {
    "wish.new": Template(
        N_("New wish to review"),
        N_("{community}: “{title}” is waiting for review"),
        ("community", "title"),
    ),
    "wish.approved": Template(
        N_("Your wish is on the board"),
        N_("Your wish “{title}” has been approved and published"),
        ("title",),
    ),
    "wish.rejected": Template(
        N_("Your wish was not published"),
        N_("Your wish “{title}” was not published: {reason}"),
        ("title", "reason"),
    ),
    "wish.claimed": Template(
        N_("Someone will help"),
        N_("Your wish “{title}” was taken up by {claimant}"),
        ("title", "claimant"),
    ),
    "wish.released": Template(
        N_("Your wish is open again"),
        N_("Your wish “{title}” is back on the board for someone else to take up"),
        ("title",),
    ),
    "wish.fulfilled": Template(
        N_("Your wish has been fulfilled"),
        N_("“{title}” is done. Please confirm it in Linli or tell your grid worker"),
        ("title",),
    ),
    "wish.confirmed": Template(
        N_("Thank you"),
        N_("“{title}” was confirmed; {hours} volunteer hours credited"),
        ("title", "hours"),
    ),
}


def render(template: str, locale: str, params: dict[str, str]) -> tuple[str, str]:
    """(title, text) of a template in a locale."""
    t = TEMPLATES[template]
    return translate(t.title, locale), translate(t.body, locale, **params)
