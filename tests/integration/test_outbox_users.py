"""Recipients picked by the database (``UsersOf``): a community's office told in one
INSERT … SELECT writes the very rows that reading the office first and writing a row per
person does: same columns, same keys, same quiet hours, same deduplication and the same
superseding of older messages on a topic."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from server.grids.models import Community
from server.notify.models import Notification, OutboxStatus
from server.notify.outbox import enqueue
from server.people.messaging import office, office_of
from server.people.models import NotifyVia
from tests.conftest import Backend

DENGYUE = "410902001001"
SKIP = {"id", "dedupe_key", "collapse_key", "topic", "url", "created_at", "next_attempt_at"}


def _row(n: Notification, event: str) -> dict[str, Any]:
    out = {c.name: getattr(n, c.name) for c in Notification.__table__.columns}
    assert n.dedupe_key.startswith(f"{event}:u")
    out["key"] = n.dedupe_key.removeprefix(event)
    out["collapse"] = (n.collapse_key or "").split(":", 1)[-1]
    # Due at once, or at the end of the quiet hours (the same moment for both).
    out["due"] = "now" if n.next_attempt_at == n.created_at else n.next_attempt_at
    return {k: v for k, v in out.items() if k not in SKIP}


@pytest.mark.parametrize("via", [NotifyVia.push, NotifyVia.both])
async def test_the_office_picked_by_the_database_gets_the_same_rows(
    backend: Backend, via: NotifyVia
) -> None:
    tag = random.randrange(10**12)
    async with backend.sessionmaker()() as session:
        try:
            cid = await session.scalar(select(Community.id).where(Community.code == DENGYUE))
            assert cid is not None
            kinds = {
                "read": await office_of(session, cid, via),
                "picked": office(cid, via),
            }
            written = {}
            for name, recipients in kinds.items():
                written[name] = await enqueue(
                    session,
                    event=f"test:{tag}:{name}",
                    template="wish.new",
                    params={"community": "登月社区", "title": "换灯泡"},
                    recipients=recipients,
                    community_id=cid,
                    url="/#/wishes/1",
                    topic=f"test-{tag}-{name}",
                )
            rows = {}
            for name in kinds:
                found = (
                    await session.scalars(
                        select(Notification)
                        .where(Notification.dedupe_key.like(f"test:{tag}:{name}:%"))
                        .order_by(Notification.user_id, Notification.channel)
                    )
                ).all()
                rows[name] = [_row(n, f"test:{tag}:{name}") for n in found]
                # What enqueue answers is what it wrote.
                answered = {w.id: w for w in written[name]}
                assert {n.id for n in found} == set(answered)
                for n in found:
                    w = answered[n.id]
                    for column in ("dedupe_key", "channel", "user_id", "locale", "collapse_key"):
                        assert getattr(w, column) == getattr(n, column), column
                    assert w.next_attempt_at == n.next_attempt_at
            channels = {"push"} if via == NotifyVia.push else {"push", "sms"}
            assert rows["read"] and {r["channel"] for r in rows["read"]} == channels
            assert rows["picked"] == rows["read"]

            # The same event again writes nothing (per recipient and channel).
            again = await enqueue(
                session,
                event=f"test:{tag}:picked",
                template="wish.new",
                params={"community": "登月社区", "title": "换灯泡"},
                recipients=office(cid, via),
                community_id=cid,
                topic=f"test-{tag}-picked",
            )
            assert again == []

            # A newer message on the topic supersedes the waiting ones, as for listed people.
            newer = await enqueue(
                session,
                event=f"test:{tag}:newer",
                template="wish.new",
                params={"community": "登月社区", "title": "换灯泡"},
                recipients=office(cid, via),
                community_id=cid,
                topic=f"test-{tag}-picked",
            )
            assert len(newer) == len(rows["picked"])
            states = dict(
                (
                    await session.execute(
                        select(Notification.dedupe_key, Notification.status).where(
                            Notification.topic == f"test-{tag}-picked"
                        )
                    )
                ).all()
            )
            for key, status in states.items():
                expected = OutboxStatus.pending if ":newer:" in key else OutboxStatus.superseded
                assert status == expected, key
        finally:
            await session.rollback()
