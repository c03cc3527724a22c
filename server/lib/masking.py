"""Masking of personal data shown in lists (PIPL: show the minimum)."""

from __future__ import annotations

__all__ = ["mask_name", "mask_phone"]


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
