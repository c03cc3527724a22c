"""Masking of personal data shown in lists (PIPL: show the minimum)."""

from __future__ import annotations

import re

__all__ = ["mask_free_text", "mask_name", "mask_phone"]


def mask_phone(phone: str) -> str:
    """138****1234 for mainland mobiles; keep the first 3 and last 4 of anything long enough."""
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def mask_name(name: str) -> str:
    """王** for 王小明; keeps the family name only."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)


_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]+")
# A run of digits with spaces or dashes in it, as phones and ID numbers are written.
# Bounded by anything but Latin letters and digits: Chinese text runs into numbers unspaced.
_NUMBER = re.compile(r"(?<![0-9A-Za-z])\+?\d[\d \-]{5,}[\dXx](?![0-9A-Za-z])")
_CASE_NUMBER = re.compile(r"^\d{4}-\d{6}$")


def _mask_number(found: re.Match[str]) -> str:
    text = found.group(0)
    digits = re.sub(r"[^\dXx]", "", text)
    if len(digits) < 7 or _CASE_NUMBER.match(text):
        return text  # a short figure or a case number
    if len(digits) >= 15:  # an ID number 身份证号
        return digits[0] + "*" * (len(digits) - 2) + digits[-1]
    return mask_phone(digits)


def mask_free_text(text: str) -> str:
    """Free text made fit to publish: phone and ID numbers and e-mail addresses masked
    (names cannot be told from other words: free text of residents is not published)."""
    text = _EMAIL.sub(lambda m: m.group(0)[0] + "***@" + m.group(0).split("@", 1)[1], text)
    return _NUMBER.sub(_mask_number, text)
