"""Server-side translations from the Babel catalogs in ``server/locale``.

Source strings are English and marked with :func:`N_` (lazy) or :func:`gettext`
at the point of use; the catalogs for zh_Hans, zh_Hant and en are read once from
their ``.po`` files. The locale of a request is the user's own setting when they
are logged in, else the best match of ``Accept-Language``; Chinese is mapped by
script (zh-CN/SG → zh_Hans, zh-TW/HK/MO → zh_Hant) because Babel's negotiation
does not do that.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

__all__ = [
    "DEFAULT_LOCALE",
    "LOCALES",
    "N_",
    "Msg",
    "catalog",
    "localised_name",
    "negotiate",
    "translate",
]

LOCALES = ("zh_Hans", "zh_Hant", "en")
DEFAULT_LOCALE = "zh_Hans"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

_TRADITIONAL_REGIONS = {"tw", "hk", "mo"}


def N_(message: str) -> str:
    """Mark a string for extraction; it is translated when shown to someone."""
    return message


@cache
def catalog(locale: str) -> dict[str, str]:
    path = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        po = read_po(fh, locale=locale)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


class Msg(str):
    """A parameter value that is itself a message: translated along with the text it goes into."""

    __slots__ = ()


def translate(message: str, locale: str, **params: object) -> str:
    text = catalog(locale).get(message, message) if locale in LOCALES else message
    if not params:
        return text
    values = {k: translate(v, locale) if isinstance(v, Msg) else v for k, v in params.items()}
    return text.format(**values)


def normalise(tag: str) -> str | None:
    """One language tag (``zh-Hant-TW``, ``zh_CN``, ``en-GB``) → one of LOCALES, or None."""
    parts = tag.strip().replace("_", "-").lower().split("-")
    if not parts or not parts[0]:
        return None
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    rest = set(parts[1:])
    if "hans" in rest:  # an explicit script beats the region
        return "zh_Hans"
    if "hant" in rest or rest & _TRADITIONAL_REGIONS:
        return "zh_Hant"
    return "zh_Hans"


def negotiate(accept_language: str | None, preferred: str | None = None) -> str:
    """The locale to answer in: the user's setting first, then Accept-Language by q order."""
    if preferred is not None and preferred in LOCALES:
        return preferred
    if not accept_language:
        return DEFAULT_LOCALE
    weighted: list[tuple[float, int, str]] = []
    for index, item in enumerate(accept_language.split(",")):
        tag, _, params = item.partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        weighted.append((-q, index, tag))
    for neg_q, _, tag in sorted(weighted):
        if neg_q >= 0:
            continue
        found = normalise(tag)
        if found:
            return found
    return DEFAULT_LOCALE


def localised_name(name: str, i18n: Any, locale: str) -> str:
    """The area's name in ``locale`` if the map gave one; the Chinese name otherwise."""
    if locale == "zh_Hans" or not i18n:
        return name
    if isinstance(i18n, str):  # JSON text: SQLite's from text() queries, or read as text
        i18n = json.loads(i18n) if i18n else {}
    if locale != "zh_Hans" and isinstance(i18n, dict) and i18n.get(locale):
        return str(i18n[locale])
    return name
