"""Small text helpers shared by the services."""

from __future__ import annotations

__all__ = ["like_escape"]


def like_escape(text: str) -> str:
    """``text`` taken literally inside a LIKE pattern (escape character: backslash)."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
