"""What each notification says: a registry of templates, keyed ``<domain>.<name>``.

Each domain registers its own templates at start (``register_templates("wish",
{...})`` gives ``wish.claimed`` …); notify knows none of them but its own
(``notify.*``, the replies to inbound SMS). The outbox stores the key and the
parameters; the text is rendered in the recipient's language when it is sent,
so a message written at 21:00 and held until the morning still reads right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from server.lib.i18n import N_, translate

__all__ = ["TEMPLATES", "Template", "register_templates", "render", "template"]


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    body: str
    params: tuple[str, ...]  # in order: Tencent SMS templates take positional parameters
    # Sent even to a number that opted out: only the confirmation of that very opt-out
    # (or opt-in) may be, which is what the carriers expect.
    ignores_opt_out: bool = False


_TEMPLATES: dict[str, Template] = {}
#: Every registered template by its key (read-only).
TEMPLATES: Mapping[str, Template] = MappingProxyType(_TEMPLATES)


def register_templates(domain: str, templates: Mapping[str, Template]) -> None:
    """Add a domain's templates as ``<domain>.<name>``; registering the same again is a no-op.

    A different template under a key already taken is a programming error (ValueError).
    """
    if not domain or "." in domain:
        raise ValueError(f"a template domain is one word, not {domain!r}")
    for name, t in templates.items():
        key = f"{domain}.{name}"
        known = _TEMPLATES.get(key)
        if known is not None and known != t:
            raise ValueError(f"notification template {key!r} is registered twice")
        _TEMPLATES[key] = t


def template(key: str) -> Template:
    """The template registered under ``key`` (KeyError if none)."""
    try:
        return _TEMPLATES[key]
    except KeyError:
        raise KeyError(f"unknown notification template {key!r}") from None


def render(key: str, locale: str, params: Mapping[str, str]) -> tuple[str, str]:
    """(title, text) of a template in a locale."""
    t = template(key)
    return translate(t.title, locale), translate(t.body, locale, **params)


# Notify's own: the answers to the keyword SMS and e-mail it handles itself.
register_templates(
    "notify",
    {
        "opted_out": Template(
            N_("Unsubscribed"),
            N_("You will receive no more SMS from Linli. Reply 订阅 to receive them again"),
            (),
            ignores_opt_out=True,
        ),
        "opted_in": Template(
            N_("Subscribed"),
            N_("You will receive SMS from Linli again. Reply TD to unsubscribe"),
            (),
            ignores_opt_out=True,
        ),
        # The same by e-mail (server.notify.mailin).
        "email_opted_out": Template(
            N_("Unsubscribed"),
            N_(
                "You will receive no more e-mail from Linli. Send 订阅 as the subject to receive it again"
            ),
            (),
            ignores_opt_out=True,
        ),
        "email_opted_in": Template(
            N_("Subscribed"),
            N_("You will receive e-mail from Linli again. Send 退订 as the subject to unsubscribe"),
            (),
            ignores_opt_out=True,
        ),
    },
)
