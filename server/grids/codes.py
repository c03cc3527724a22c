"""Area codes in the national style: county + street + community + grid segments.

With the default widths (6, 3, 3, 3) a sub-district is 9 digits
(``410902001``), a community 12 and a grid 15. Buildings and storefronts are
keyed ``<grid code>B<nnn>`` / ``<grid code>S<nnn>``. Widths come from
``LINLI_CODE_SEGMENTS``.
"""

from __future__ import annotations

import re

from server.lib.i18n import N_

__all__ = ["LEVEL_DEPTH", "check_code", "code_length"]

LEVEL_DEPTH = {"sub_district": 2, "community": 3, "grid": 4}
_SUFFIX = {"building": "B", "storefront": "S"}


def code_length(level: str, segments: tuple[int, ...]) -> int:
    return sum(segments[: LEVEL_DEPTH[level]])


def check_code(
    level: str, code: str, parent: str | None, segments: tuple[int, ...]
) -> tuple[str, dict[str, object]] | None:
    """None if ``code`` is well formed for ``level`` under ``parent``; else (msgid, params)."""
    if level in LEVEL_DEPTH:
        length = code_length(level, segments)
        if not (len(code) == length and code.isdigit()):
            return N_("code must be {length} digits for this level"), {"length": length}
        if parent is not None and not code.startswith(parent):
            return N_("code does not start with its parent's code"), {}
        return None
    suffix = _SUFFIX[level]
    if parent is None or not re.fullmatch(re.escape(parent) + suffix + r"\d{1,6}", code):
        return N_("code must be the grid code followed by {suffix} and a number"), {
            "suffix": suffix
        }
    return None
