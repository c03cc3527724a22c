"""What each domain adds to the shared machinery, registered once at start.

Notify and housekeeping know no domain: the wish board brings its message
templates and its expiry chore (:mod:`server.wishes.messages`). The app
(``create_app``) and ``linli worker`` call :func:`register_domains` before they
queue or send anything; registering twice is harmless.
"""

from __future__ import annotations

__all__ = ["register_domains"]


def register_domains() -> None:
    from server.wishes import messages as wish_messages

    wish_messages.register()
