"""A real SMPP 3.4 SMSC on loopback, for testing the SMPP channel against a peer it did not write.

The protocol side is the ``smpp34`` package's asyncio server (a Rust SMPP
implementation: framing, bind handling, enquire_link, sequence numbers). This
wrapper adds what an SMS centre does with the traffic: it gives each accepted
``submit_sm`` a message id, records what arrived (with its data_coding, esm_class
and UDH), reassembles concatenated parts, and sends delivery receipts as
``deliver_sm`` — after the ``submit_sm_resp`` or, when told to, *before* it. It
can be told to refuse the next submits with a status (e.g. ``ESME_RTHROTTLED``)
and to drop its ESMEs (an ``unbind``) to exercise reconnection.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Literal

import smpp34

from tests.support.live import free_port

__all__ = [
    "ESME_RINVDSTADR",
    "ESME_RMSGQFUL",
    "ESME_RSYSERR",
    "ESME_RTHROTTLED",
    "Message",
    "Smsc",
    "Submitted",
    "TcpProxy",
    "running_smsc",
]

ReceiptMode = Literal["after", "before", "none"]

# SMPP 3.4 command_status values (section 5.1.3) and optional parameter tags (5.3.2).
ESME_RSYSERR = 0x08
ESME_RINVDSTADR = 0x0B
ESME_RMSGQFUL = 0x14
ESME_RTHROTTLED = 0x58
TLV_RECEIPTED_MESSAGE_ID = 0x001E
TLV_MESSAGE_STATE = 0x0427


@dataclass
class Submitted:
    """One submit_sm as the SMSC received it."""

    message_id: str | None  # None when it was refused
    status: int
    session_id: str
    source_addr: str
    source_addr_ton: int
    source_addr_npi: int
    destination_addr: str
    dest_addr_ton: int
    dest_addr_npi: int
    esm_class: int
    data_coding: int
    registered_delivery: int
    short_message: bytes

    @property
    def udh(self) -> bytes:
        """The user data header, read by the SMSC's own rules (esm_class UDHI bit)."""
        if not self.esm_class & 0x40:
            return b""
        return self.short_message[: self.short_message[0] + 1]

    @property
    def concat(self) -> tuple[int, int, int] | None:
        """(reference, total, sequence) from a concatenation UDH element (IEI 0x00 or 0x08)."""
        udh = self.udh
        i = 1
        while i + 1 < len(udh):
            iei, length = udh[i], udh[i + 1]
            data = udh[i + 2 : i + 2 + length]
            if iei == 0x00 and length == 3:
                return data[0], data[1], data[2]
            if iei == 0x08 and length == 4:
                return (data[0] << 8) | data[1], data[2], data[3]
            i += 2 + length
        return None

    @property
    def payload(self) -> bytes:
        return self.short_message[len(self.udh) :]


@dataclass
class Message:
    """A whole message: one submit, or the parts of a concatenated one, in order."""

    destination_addr: str
    parts: list[Submitted]

    @property
    def text(self) -> str:
        data = b"".join(p.payload for p in self.parts)
        if all(p.data_coding == 8 for p in self.parts):
            return data.decode("utf-16-be")
        return data.decode("latin-1")

    @property
    def message_ids(self) -> list[str | None]:
        return [p.message_id for p in self.parts]


class Smsc:
    """An SMSC on 127.0.0.1 (a free port unless given)."""

    def __init__(self, *, system_id: str = "LINLI-SMSC") -> None:
        self.system_id = system_id
        self.host = "127.0.0.1"
        self.port = 0
        self.receipts: ReceiptMode = "after"
        self.receipt_stat: Callable[[Submitted], str] = lambda _: "DELIVRD"
        self.refuse_next: list[int] = []
        self.submits: list[Submitted] = []
        self.sessions: dict[str, smpp34.Esme] = {}
        self.binds: list[str] = []
        self.unbinds = 0
        self._ids = itertools.count(0x5A000001)
        self._server: smpp34.Server | None = None
        self._loop_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()

    async def start(self, port: int | None = None) -> None:
        self.port = port or self.port or free_port()
        self._server = smpp34.Server(host=self.host, port=self.port, system_id=self.system_id)
        await self._server.start()
        self._loop_task = asyncio.create_task(self._serve(self._server))

    async def stop(self) -> None:
        """Shut down as an SMSC does: unbind the ESMEs, stop listening.

        (smpp34's ``Server.stop()`` alone stops accepting but leaves bound sessions up.)
        """
        await self.drop_sessions()
        if self._server is not None:
            await self._server.stop()
            self._server = None
        if self._loop_task is not None:
            self._loop_task.cancel()
            with contextlib.suppress(BaseException):
                await self._loop_task
            self._loop_task = None
        for task in list(self._tasks):
            task.cancel()
        self.sessions.clear()

    async def drop_sessions(self) -> None:
        """The SMSC unbinds every ESME (as on a restart of the SMSC's front end)."""
        for esme in list(self.sessions.values()):
            with contextlib.suppress(Exception):
                await esme.unbind()
        self.sessions.clear()

    # --- what arrived ------------------------------------------------------------------

    def messages(self) -> list[Message]:
        """Accepted submits, concatenated parts put back together by their UDH."""
        whole: list[Message] = []
        open_parts: dict[tuple[str, int, int], Message] = {}
        for sub in self.submits:
            if sub.message_id is None:
                continue
            concat = sub.concat
            if concat is None:
                whole.append(Message(sub.destination_addr, [sub]))
                continue
            ref, total, _ = concat
            key = (sub.destination_addr, ref, total)
            message = open_parts.get(key)
            if message is None:
                message = open_parts[key] = Message(sub.destination_addr, [])
                whole.append(message)
            message.parts.append(sub)
            if len(message.parts) == total:
                del open_parts[key]
                message.parts.sort(key=lambda p: (p.concat or (0, 0, 0))[2])
        return whole

    async def wait_for(self, check: Callable[[], bool], within: float = 5.0) -> None:
        deadline = time.monotonic() + within
        while not check():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError("SMSC: condition not met in time")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.05))

    # --- the SMSC's side ---------------------------------------------------------------

    async def send_receipt(
        self, sub: Submitted, stat: str = "DELIVRD", *, as_tlv: bool = False
    ) -> None:
        """A delivery receipt for an accepted submit, in the SMPP 3.4 appendix B format."""
        esme = self.sessions.get(sub.session_id)
        assert esme is not None and sub.message_id is not None
        now = time.strftime("%y%m%d%H%M", time.gmtime())
        delivered = "001" if stat == "DELIVRD" else "000"
        text = (
            f"id:{sub.message_id} sub:001 dlvrd:{delivered} submit date:{now} done date:{now} "
            f"stat:{stat} err:{'000' if stat == 'DELIVRD' else '001'} text:"
        ).encode("ascii") + sub.payload[:20]
        tlvs: list[smpp34.Tlv] = []
        if as_tlv:
            state = {"DELIVRD": 2, "EXPIRED": 3, "UNDELIV": 5, "REJECTD": 8}.get(stat, 7)
            tlvs = [
                smpp34.Tlv(TLV_RECEIPTED_MESSAGE_ID, sub.message_id.encode() + b"\0"),
                smpp34.Tlv(TLV_MESSAGE_STATE, bytes([state])),
            ]
        await esme.deliver_sm(
            destination_addr=sub.source_addr,
            source_addr=sub.destination_addr,
            esm_class=0x04,
            short_message=text,
            tlvs=tlvs,
        )

    async def send_mo(
        self,
        phone: str,
        text: str,
        *,
        to: str = "10690001",
        ucs2: bool = True,
        parts: int = 1,
        ref: int = 7,
        reverse: bool = False,
    ) -> None:
        """An SMS a person sent (mobile originated), as ``deliver_sm`` to every bound ESME
        (esm_class 0: a message, not a receipt); a mainland number goes as international.

        With ``parts`` > 1 the text goes as that many concatenated parts (8-bit reference
        UDH, esm_class 0x40), in reverse order if asked, as a network may deliver them.
        """
        international = phone.startswith("+") or len(phone) > 11
        data = text.encode("utf-16-be") if ucs2 else text.encode("ascii")
        if parts == 1:
            pieces = [(0x00, data)]
        else:
            step = -(-len(data) // parts)
            step += step % 2  # never cut a UCS2 character in half
            chunks = [data[i : i + step] for i in range(0, len(data), step)]
            pieces = [
                (0x40, bytes([5, 0, 3, ref, len(chunks), n + 1]) + chunk)
                for n, chunk in enumerate(chunks)
            ]
            if reverse:
                pieces.reverse()
        for esme in list(self.sessions.values()):
            for esm_class, short_message in pieces:
                await esme.deliver_sm(
                    destination_addr=to,
                    source_addr=phone.lstrip("+"),
                    source_addr_ton=1 if international else 0,
                    source_addr_npi=1,
                    esm_class=esm_class,
                    data_coding=8 if ucs2 else 0,
                    short_message=short_message,
                )

    def _record(self, ev: smpp34.SubmitSmEvent, message_id: str | None, status: int) -> Submitted:
        sub = Submitted(
            message_id=message_id,
            status=status,
            session_id=ev.session_id,
            source_addr=ev.source_addr,
            source_addr_ton=ev.source_addr_ton,
            source_addr_npi=ev.source_addr_npi,
            destination_addr=ev.destination_addr,
            dest_addr_ton=ev.dest_addr_ton,
            dest_addr_npi=ev.dest_addr_npi,
            esm_class=ev.esm_class,
            data_coding=ev.data_coding,
            registered_delivery=ev.registered_delivery,
            short_message=bytes(ev.short_message),
        )
        self.submits.append(sub)
        self._changed.set()
        return sub

    async def _receipt_later(self, sub: Submitted) -> None:
        await asyncio.sleep(0.02)
        with contextlib.suppress(Exception):
            await self.send_receipt(sub, self.receipt_stat(sub))

    async def _serve(self, server: smpp34.Server) -> None:
        while True:
            ev = await server.next()
            if isinstance(ev, smpp34.Esme):
                self.sessions[ev.session_id] = ev
                self.binds.append(ev.system_id)
            elif isinstance(ev, smpp34.Unbound):
                self.sessions.pop(ev.session_id, None)
                self.unbinds += 1
            elif isinstance(ev, smpp34.SubmitSmEvent):
                if self.refuse_next:
                    status = self.refuse_next.pop(0)
                    self._record(ev, None, status)
                    ev.reject(status)
                    continue
                message_id = f"{next(self._ids):08x}"
                sub = self._record(ev, message_id, 0)
                if self.receipts == "before" and sub.registered_delivery & 1:
                    # The receipt goes out, and is acknowledged, before the submit_sm_resp.
                    await self.send_receipt(sub, self.receipt_stat(sub))
                    ev.accept(message_id)
                else:
                    ev.accept(message_id)
                    if self.receipts == "after" and sub.registered_delivery & 1:
                        task = asyncio.create_task(self._receipt_later(sub))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
            self._changed.set()


class TcpProxy:
    """A loopback TCP relay in front of the SMSC whose connections can be cut or stalled.

    ``cut()`` drops every relayed connection at once (a network failure, no
    unbind); with ``stalled = True`` nothing is forwarded any more (a silent peer).
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = 0
        self._flowing = asyncio.Event()
        self._flowing.set()
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def stalled(self) -> bool:
        return not self._flowing.is_set()

    @stalled.setter
    def stalled(self, value: bool) -> None:
        if value:
            self._flowing.clear()
        else:
            self._flowing.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                await self._flowing.wait()
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        self._writers += [writer, up_writer]
        for task in (
            asyncio.create_task(self._pipe(reader, up_writer)),
            asyncio.create_task(self._pipe(up_reader, writer)),
        ):
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def cut(self) -> None:
        for writer in self._writers:
            transport = writer.transport
            transport.abort()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()


@contextlib.asynccontextmanager
async def running_smsc() -> AsyncIterator[Smsc]:
    smsc = Smsc()
    await smsc.start()
    try:
        yield smsc
    finally:
        await smsc.stop()
