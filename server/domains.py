"""What each domain adds to the shared machinery, registered once at start.

Notify and housekeeping know no domain: the wish board brings its message
templates and its expiry chore (:mod:`server.wishes.messages`), the people
domain the address book of residents (:mod:`server.people.messaging`). The app
(``create_app``) and ``linli worker`` call :func:`register_domains` before they
queue or send anything; registering twice is harmless.
"""

from __future__ import annotations

__all__ = ["register_domains"]


def register_domains() -> None:
    from server.cases import messages as case_messages
    from server.people import messaging as people_messaging
    from server.visits import messages as visit_messages
    from server.wishes import messages as wish_messages

    people_messaging.register()
    wish_messages.register()
    visit_messages.register()
    case_messages.register()
