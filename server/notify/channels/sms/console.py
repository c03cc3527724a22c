"""Development SMS: printed, never sent."""

from __future__ import annotations

from collections import deque
from typing import TextIO

from server.lib.masking import mask_phone
from server.notify.channels.base import Accepted, Outgoing
from server.notify.channels.sms.common import log, sms_target

__all__ = ["ConsoleSms"]


class ConsoleSms:
    """Development SMS: one line per message, phone masked, text shown; nothing leaves the machine.

    Lines go to ``stream`` if given, otherwise to the ``linli.notify.sms`` logger
    at INFO. The last 100 messages are kept in :attr:`sent` for tests and demos.
    """

    name = "sms"

    def __init__(self, *, stream: TextIO | None = None) -> None:
        self.stream = stream
        self.sent: deque[Outgoing] = deque(maxlen=100)

    async def send(self, message: Outgoing) -> Accepted:
        target = sms_target(message)
        text = message.text.replace("\r", " ").replace("\n", " ⏎ ")
        line = f"SMS to {mask_phone(target.phone)} (outbox {message.id}): {text}"
        if self.stream is not None:
            print(line, file=self.stream, flush=True)
        else:
            log.info("%s", line)
        self.sent.append(message)
        return Accepted(provider_id=f"console-{message.id}")

    async def close(self) -> None:
        return None
