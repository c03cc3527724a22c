"""The one transition writer: every change of state of every domain goes through here.

In the caller's (the request's) one transaction:

1. the version check: the caller's ``expected_version`` (what the person saw when
   they decided) must be the object's;
2. one conditional UPDATE: state and version must still be what this transaction
   read, so of two people claiming the same wish at once exactly one UPDATE
   matches and the other gets 409 ``stale``;
3. the history row (who, when, from, to, a note);
4. the notification rows, written into the outbox by :func:`server.notify.outbox.enqueue`
   after the object is refreshed, so what they say is what is true now.

On SQLite a writer that lost the race to another committed transaction sees
"database is locked"/"busy": that is the same conflict, said the same way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.base import utcnow
from server.lib.errors import Conflict
from server.lib.i18n import N_
from server.notify.outbox import Recipient, enqueue

__all__ = ["Change", "Notice", "history_rows", "send", "write_change"]

STALE = N_("Someone changed this first; reload it")


@dataclass(frozen=True, slots=True)
class Notice:
    """One message for the outbox, written in the same transaction as the change."""

    event: str
    template: str
    params: dict[str, Any]
    recipients: Sequence[Recipient]
    community_id: int | None = None
    url: str | None = None
    topic: str | None = None
    urgent: bool = False  # sent whatever the quiet hours (a fall, no food, no heating)
    #: The subject (``topic``) was created in this transaction: no older message on it.
    new_subject: bool = False


@dataclass(slots=True)
class Change:
    """What to write: the action, the new state (the same state for an edit), the
    columns that change with it, and the history row's note."""

    action: str
    target: Any
    values: dict[str, Any] = field(default_factory=dict)
    note: str | None = None


def history_rows(model: Any, **key: int) -> Callable[..., Any]:
    """The history-row maker of one object for :func:`write_change`: rows of ``model``
    (a domain's event table with ``actor_user_id``, ``action``, ``from_state``,
    ``to_state`` and ``note``) naming the object by ``key`` (e.g. ``wish_id=7``)."""

    def make(
        *, actor_id: int | None, action: str, from_state: Any, to_state: Any, note: str | None
    ) -> Any:
        return model(
            **key,
            actor_user_id=actor_id,
            action=action,
            from_state=from_state,
            to_state=to_state,
            note=note,
        )

    return make


def _is_lock_conflict(exc: OperationalError) -> bool:
    text = str(exc)
    return "locked" in text or "busy" in text


async def write_change(
    session: AsyncSession,
    obj: Any,
    change: Change,
    *,
    actor_id: int | None,
    history: Callable[..., Any],
    expected_version: int | None = None,
    notices: Callable[[Any], Awaitable[Iterable[Notice]]] | None = None,
    stale: str = STALE,
) -> None:
    """Write one change of ``obj`` (a mapped row with ``id``, ``state``, ``version``
    and ``updated_at``) with its history row and notices; refreshes ``obj``.

    ``history(actor_id=, action=, from_state=, to_state=, note=)`` makes the domain's
    history row; ``notices(obj)`` (after the write) gives the messages to send.
    """
    if expected_version is not None and expected_version != obj.version:
        raise Conflict(stale, error_code="stale")
    model = type(obj)
    from_state = obj.state
    try:
        result = await session.execute(
            update(model)
            .where(model.id == obj.id, model.state == from_state, model.version == obj.version)
            .values(
                state=change.target,
                version=obj.version + 1,
                updated_at=utcnow(),
                **change.values,
            )
            .execution_options(synchronize_session=False)
        )
    except OperationalError as exc:
        if _is_lock_conflict(exc):
            raise Conflict(stale, error_code="stale") from exc
        raise
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(stale, error_code="stale")
    session.add(
        history(
            actor_id=actor_id,
            action=change.action,
            from_state=from_state,
            to_state=change.target,
            note=change.note,
        )
    )
    await session.flush()
    await session.refresh(obj)
    if notices is not None:
        for notice in await notices(obj):
            await send(session, notice)


async def send(session: AsyncSession, notice: Notice) -> None:
    """Write one notice into the outbox, in the caller's transaction."""
    await enqueue(
        session,
        event=notice.event,
        template=notice.template,
        params=notice.params,
        recipients=list(notice.recipients),
        community_id=notice.community_id,
        url=notice.url,
        topic=notice.topic,
        urgent=notice.urgent,
        new_subject=notice.new_subject,
    )
