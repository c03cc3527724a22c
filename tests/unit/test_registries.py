"""Domains register their templates, chores and address books; notify knows none of them."""

from __future__ import annotations

import subprocess
import sys

import pytest

from server.housekeeping import CHORES, register_chore
from server.notify.templates import TEMPLATES, Template, register_templates, template
from server.wishes import messages as wish_messages
from tests.support.live import ROOT


def test_the_wish_board_registers_its_templates_and_chore() -> None:
    wish_messages.register()  # what create_app() does; again is harmless
    assert {f"wish.{name}" for name in wish_messages.TEMPLATES} <= set(TEMPLATES)
    assert template("wish.claimed").params == ("title", "claimant")
    assert CHORES["wishes_expired"] is wish_messages.expire_wishes
    assert {"kv_pruned", "revoked_tokens_pruned"} <= set(CHORES)


def test_a_key_cannot_be_taken_twice() -> None:
    with pytest.raises(ValueError, match="registered twice"):
        register_templates("wish", {"claimed": Template("x", "y", ())})
    with pytest.raises(ValueError):
        register_templates("wish.extra", {})
    with pytest.raises(KeyError):
        template("wish.no_such_template")

    async def other(session: object, now: object) -> int:
        return 0

    with pytest.raises(ValueError, match="registered twice"):
        register_chore("wishes_expired", other)  # type: ignore[arg-type]


def test_notify_imports_no_domain() -> None:
    """The outbox, dispatcher, channels, API and inbound SMS load without wishes or people."""
    code = (
        "import sys, server.notify.dispatcher, server.notify.controllers, server.notify.setup;"
        "bad = sorted(m for m in sys.modules if m.startswith(('server.wishes', 'server.people')));"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
