"""Payloads of the task counts API."""

from __future__ import annotations

import msgspec

__all__ = ["MyTasks"]


class MyTasks(msgspec.Struct, frozen=True):
    """How many wishes wait for the signed-in user, each counted in the scope of the roles
    that may act on it (0 when no role of theirs may)."""

    # Submitted, waiting for a moderator of my scope to approve, edit or reject.
    to_moderate: int
    # Not yet done (submitted, on the board, claimed or fulfilled) in the grids I look after.
    open_in_my_grids: int
    # Fulfilled in my staff scope, waiting for the resident's word (staff may confirm for them).
    to_confirm: int
