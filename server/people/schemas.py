"""Payloads of the people API."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["HoursEntry", "MyHours"]


class HoursEntry(msgspec.Struct, frozen=True):
    hours: float
    source_type: str
    source_id: int
    credited_at: datetime


class MyHours(msgspec.Struct, frozen=True):
    """志愿服务时长: my total and the latest entries."""

    total: float
    entries: list[HoursEntry]
