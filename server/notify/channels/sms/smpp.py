"""SMPP 3.4: an asyncio ESME (bind_transceiver, submit_sm in UCS2, delivery receipts)."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import itertools
import re
import struct
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from server.lib.masking import mask_phone
from server.notify.channels.base import (
    Accepted,
    DeliveryReceipt,
    InboundSms,
    Outgoing,
    PermanentFailure,
    TemporaryFailure,
)
from server.notify.channels.sms.common import (
    InboundHandler,
    ReceiptHandler,
    e164,
    log,
    sms_target,
)

__all__ = ["SmppSms", "parse_receipt_text", "ucs2_parts"]


GENERIC_NACK = 0x80000000
BIND_TRANSCEIVER = 0x00000009
BIND_TRANSCEIVER_RESP = 0x80000009
SUBMIT_SM = 0x00000004
SUBMIT_SM_RESP = 0x80000004
DELIVER_SM = 0x00000005
DELIVER_SM_RESP = 0x80000005
UNBIND = 0x00000006
UNBIND_RESP = 0x80000006
ENQUIRE_LINK = 0x00000015
ENQUIRE_LINK_RESP = 0x80000015

ESME_ROK = 0x00
ESME_RINVCMDID = 0x03
ESME_RSYSERR = 0x08
ESME_RMSGQFUL = 0x14
ESME_RSUBMITFAIL = 0x45
ESME_RTHROTTLED = 0x58
ESME_RX_T_APPN = 0x64
ESME_RUNKNOWNERR = 0xFF

_STATUS_NAMES = {
    0x01: "ESME_RINVMSGLEN",
    0x02: "ESME_RINVCMDLEN",
    0x03: "ESME_RINVCMDID",
    0x04: "ESME_RINVBNDSTS",
    0x05: "ESME_RALYBND",
    0x08: "ESME_RSYSERR",
    0x0A: "ESME_RINVSRCADR",
    0x0B: "ESME_RINVDSTADR",
    0x0D: "ESME_RBINDFAIL",
    0x0E: "ESME_RINVPASWD",
    0x0F: "ESME_RINVSYSID",
    0x14: "ESME_RMSGQFUL",
    0x45: "ESME_RSUBMITFAIL",
    0x58: "ESME_RTHROTTLED",
    0x62: "ESME_RINVEXPIRY",
    0x64: "ESME_RX_T_APPN",
    0x65: "ESME_RX_P_APPN",
    0x66: "ESME_RX_R_APPN",
    0xFF: "ESME_RUNKNOWNERR",
}
# What may go through on a later try; every other error status is about the message itself.
_TEMPORARY_STATUSES = {
    ESME_RSYSERR,
    ESME_RMSGQFUL,
    ESME_RSUBMITFAIL,
    ESME_RTHROTTLED,
    ESME_RX_T_APPN,
    ESME_RUNKNOWNERR,
}
_TLV_RECEIPTED_MESSAGE_ID = 0x001E
_TLV_MESSAGE_STATE = 0x0427
_MESSAGE_STATES = {
    1: "ENROUTE",
    2: "DELIVRD",
    3: "EXPIRED",
    4: "DELETED",
    5: "UNDELIV",
    6: "ACCEPTD",
    7: "UNKNOWN",
    8: "REJECTD",
}
# Not the end of the story: a final receipt follows.
_INTERMEDIATE_STATES = {"ENROUTE", "ACCEPTD"}
_MAX_PDU = 64 * 1024
_HEADER = struct.Struct(">IIII")


def _status_name(status: int) -> str:
    return _STATUS_NAMES.get(status, f"0x{status:08X}")


def _cstr(value: str, size: int) -> bytes:
    """A C-octet string of at most ``size`` octets including its NUL (ValueError if not)."""
    data = value.encode("ascii")
    if len(data) >= size:
        raise ValueError(f"SMPP field {value!r} longer than {size - 1} characters")
    return data + b"\0"


class _ProtocolError(Exception):
    pass


class _Fields:
    """Reads a PDU body front to back."""

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.pos = 0

    def u8(self) -> int:
        if self.pos >= len(self.body):
            raise _ProtocolError("PDU body too short")
        self.pos += 1
        return self.body[self.pos - 1]

    def cstr(self) -> str:
        end = self.body.find(b"\0", self.pos)
        if end < 0:
            raise _ProtocolError("unterminated C-octet string")
        value = self.body[self.pos : end].decode("latin-1")
        self.pos = end + 1
        return value

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.body):
            raise _ProtocolError("PDU body too short")
        self.pos += n
        return self.body[self.pos - n : self.pos]

    def tlvs(self) -> dict[int, bytes]:
        found: dict[int, bytes] = {}
        while self.pos + 4 <= len(self.body):
            tag, length = struct.unpack_from(">HH", self.body, self.pos)
            self.pos += 4
            found[tag] = self.take(length)
        return found


@dataclass(frozen=True, slots=True)
class _Pdu:
    command_id: int
    status: int
    sequence: int
    body: bytes


def ucs2_parts(text: str, ref: int) -> list[tuple[int, bytes]]:
    """(esm_class, short_message) for each submit_sm of a UCS2 (data_coding 8) text.

    Up to 70 UTF-16 units go in one message; a longer text becomes parts of 67
    units, each led by the 8-bit-reference concatenation UDH ``05 00 03 ref n i``
    and sent with esm_class 0x40 (UDHI). A surrogate pair is never split.
    """
    data = text.encode("utf-16-be")
    if len(data) <= 140:
        return [(0x00, data)]
    chunks: list[bytes] = []
    start = 0
    while start < len(data):
        end = min(start + 134, len(data))
        if end < len(data) and 0xD8 <= data[end - 2] <= 0xDB:  # a high surrogate ends the part
            end -= 2
        chunks.append(data[start:end])
        start = end
    if len(chunks) > 255:
        raise PermanentFailure("text too long for one concatenated SMS")
    udh = bytes([0x05, 0x00, 0x03, ref & 0xFF, len(chunks)])
    return [(0x40, udh + bytes([i + 1]) + chunk) for i, chunk in enumerate(chunks)]


def _concatenation(data: bytes) -> tuple[tuple[int, int, int] | None, bytes]:
    """(reference, total, sequence) of a short message's concatenation UDH element (8- or
    16-bit reference), or None; and the text after the user data header."""
    if not data or data[0] + 1 > len(data):
        return None, data
    udh, payload = data[1 : data[0] + 1], data[data[0] + 1 :]
    i = 0
    while i + 1 < len(udh):
        iei, length = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + length]
        if iei == 0x00 and length == 3 and len(value) == 3:
            return (value[0], value[1], value[2]), payload
        if iei == 0x08 and length == 4 and len(value) == 4:
            return ((value[0] << 8) | value[1], value[2], value[3]), payload
        i += 2 + length
    return None, payload


def _relative_validity(seconds: int) -> str:
    """SMPP relative time ``YYMMDDhhmmss000R``."""
    seconds = max(60, min(seconds, 30 * 86400))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"0000{days:02d}{hours:02d}{minutes:02d}{secs:02d}000R"


_RECEIPT_FIELD = re.compile(
    r"(?P<key>id|sub|dlvrd|submit date|done date|stat|err):(?P<value>\S*)", re.IGNORECASE
)


def parse_receipt_text(text: str) -> dict[str, str]:
    """The fields of an SMPP receipt text (``id:… sub:… stat:DELIVRD err:000 text:…``).

    ``text`` (the start of the message itself) is left out on purpose.
    """
    head = re.split(r"\btext:", text, maxsplit=1, flags=re.IGNORECASE)[0]
    return {
        m.group("key").lower().replace(" ", "_"): m.group("value")
        for m in _RECEIPT_FIELD.finditer(head)
    }


@dataclass(slots=True)
class _Receipt:
    message_id: str
    status: str
    raw: dict[str, Any]

    @property
    def delivered(self) -> bool:
        return self.status == "DELIVRD"


@dataclass(slots=True)
class _Group:
    """The parts of one concatenated message; it is delivered when all of them are."""

    parts: list[str]
    seen: dict[str, _Receipt] = field(default_factory=dict)


class _Session:
    """One bound SMPP connection: writes PDUs, matches responses, serves the SMSC's requests."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        on_request: Callable[[_Session, _Pdu], Awaitable[None]],
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.on_request = on_request
        self.pending: dict[int, asyncio.Future[_Pdu]] = {}
        self.closed = asyncio.Event()
        self._sequence = 0
        self._write_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    def start_reading(self) -> None:
        self._tasks.append(asyncio.create_task(self._read_loop()))

    def start_keepalive(self, interval: float, reply_within: float) -> None:
        """Send enquire_link every ``interval`` s; a missing answer drops the connection."""
        if interval > 0:
            self._tasks.append(asyncio.create_task(self._keepalive(interval, reply_within)))

    @property
    def alive(self) -> bool:
        return not self.closed.is_set()

    def _next_sequence(self) -> int:
        self._sequence = self._sequence % 0x7FFFFFFF + 1
        return self._sequence

    async def write(
        self, command_id: int, sequence: int, body: bytes = b"", status: int = 0
    ) -> None:
        if not self.alive:
            raise ConnectionError("SMPP connection closed")
        async with self._write_lock:
            self.writer.write(_HEADER.pack(16 + len(body), command_id, status, sequence) + body)
            await self.writer.drain()

    async def request(self, command_id: int, body: bytes, reply_within: float) -> _Pdu:
        sequence = self._next_sequence()
        future: asyncio.Future[_Pdu] = asyncio.get_running_loop().create_future()
        self.pending[sequence] = future
        try:
            await self.write(command_id, sequence, body)
            return await asyncio.wait_for(future, reply_within)
        finally:
            self.pending.pop(sequence, None)

    async def _read_loop(self) -> None:
        try:
            while True:
                header = await self.reader.readexactly(16)
                length, command_id, status, sequence = _HEADER.unpack(header)
                if not 16 <= length <= _MAX_PDU:
                    raise _ProtocolError(f"PDU length {length}")
                pdu = _Pdu(command_id, status, sequence, await self.reader.readexactly(length - 16))
                if command_id & 0x80000000:
                    future = self.pending.get(sequence)
                    if future is not None and not future.done():
                        future.set_result(pdu)
                    elif command_id == GENERIC_NACK:
                        log.warning("SMPP generic_nack %s", _status_name(status))
                else:
                    await self.on_request(self, pdu)
        except (asyncio.IncompleteReadError, ConnectionError, OSError) as exc:
            if self.alive:
                log.warning("SMPP connection lost: %s", type(exc).__name__)
        except _ProtocolError as exc:
            log.error("SMPP protocol error, dropping the connection: %s", exc)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("SMPP reader failed")
        finally:
            self.shut()

    async def _keepalive(self, interval: float, reply_within: float) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while self.alive:
                await asyncio.sleep(interval)
                try:
                    await self.request(ENQUIRE_LINK, b"", reply_within)
                except (TimeoutError, ConnectionError, OSError):
                    log.warning("SMPP enquire_link unanswered; reconnecting")
                    self.shut()

    def shut(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        for future in self.pending.values():
            if not future.done():
                future.set_exception(ConnectionError("SMPP connection lost"))
        self.writer.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current:
                task.cancel()

    async def close(self, unbind: bool, reply_within: float) -> None:
        if unbind and self.alive:
            with contextlib.suppress(Exception):
                await self.request(UNBIND, b"", reply_within)
        self.shut()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.writer.wait_closed(), reply_within)
        for task in self._tasks:
            with contextlib.suppress(BaseException):
                await task


class SmppSms:
    """An SMPP 3.4 ESME: bind_transceiver, submit_sm in UCS2, delivery receipts.

    A small asyncio client rather than ``smpplib``: smpplib is a blocking socket
    client whose ``listen()`` loop owns the socket, so under asyncio it needs a
    thread of its own, locking around sends, its own matching of
    ``submit_sm_resp`` to requests, and reconnection by hand — more code than the
    handful of PDUs needed here. It is tested against an independent SMSC
    implementation (``smpp34``).

    One connection is kept bound: opened by :meth:`start` or the first send, and
    re-opened with backoff whenever it drops, so receipts keep arriving. Receipts
    go to ``on_receipt`` (also settable later as :attr:`on_receipt`); a
    concatenated message gets one receipt, under its first part's id, once every
    part has a final one (or at the first part that failed).

    Any other ``deliver_sm`` is an SMS a person sent (MO): it goes to ``on_inbound``
    (e.g. 退订/TD); a concatenated one once all its parts are in, put back in order.
    """

    name = "sms"
    #: How long the parts of a concatenated inbound SMS wait for the rest, and how many wait.
    MO_PARTS_SECONDS = 600.0
    MO_PARTS_MAX = 1000

    def __init__(
        self,
        host: str,
        port: int,
        system_id: str,
        password: str,
        source_addr: str,
        *,
        on_receipt: ReceiptHandler | None = None,
        on_inbound: InboundHandler | None = None,
        system_type: str = "",
        source_addr_ton: int | None = None,
        source_addr_npi: int | None = None,
        text_prefix: str = "",
        send_validity_period: bool = True,
        timeout: float = 10.0,
        enquire_link_interval: float = 30.0,
        reconnect_delay: tuple[float, float] = (1.0, 60.0),
        receipt_retry_delays: Sequence[float] = (1, 2, 4, 8, 15),
    ) -> None:
        self.host = host
        self.port = port
        self.system_id = system_id
        self._password = password
        self.system_type = system_type
        self.source_addr = source_addr
        numeric = source_addr.isdigit()
        self.source_addr_ton = (
            source_addr_ton if source_addr_ton is not None else (0 if numeric else 5)
        )
        self.source_addr_npi = (
            source_addr_npi if source_addr_npi is not None else (1 if numeric else 0)
        )
        self.text_prefix = text_prefix
        self.send_validity_period = send_validity_period
        self.timeout = timeout
        self.enquire_link_interval = enquire_link_interval
        self.reconnect_delay = reconnect_delay
        self.receipt_retry_delays = tuple(receipt_retry_delays)
        self.on_receipt = on_receipt
        self.on_inbound = on_inbound
        # Field sizes are checked here (ValueError), not at the first send.
        self._bind_body = (
            _cstr(system_id, 16)
            + _cstr(password, 9)
            + _cstr(system_type, 13)
            + bytes([0x34, 0, 0])
            + _cstr("", 41)
        )
        _cstr(source_addr, 21)

        self._session: _Session | None = None
        self._connect_lock = asyncio.Lock()
        self._closing = False
        self._reconnector: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: set[int] = set()
        self._send_ids = itertools.count(1)
        self._early: list[tuple[_Receipt, set[int]]] = []
        self._groups: OrderedDict[str, _Group] = OrderedDict()
        self._part_of: dict[str, str] = {}
        # Parts of messages already reported, so a late receipt for one is not reported again.
        self._retired: OrderedDict[str, None] = OrderedDict()
        self._max_groups = 10_000
        # Parts of concatenated inbound SMS: (sender, reference, total) -> (first seen, parts).
        self._mo_parts: OrderedDict[tuple[str, int, int], tuple[float, dict[int, bytes]]] = (
            OrderedDict()
        )

    # --- connection ----------------------------------------------------------------------

    async def start(self) -> None:
        """Bind now, so receipts flow from startup; if the SMSC is down, keep trying in the background."""
        try:
            await self._bound()
        except TemporaryFailure as exc:
            log.warning(
                "SMPP bind to %s:%s failed (%s); retrying in the background",
                self.host,
                self.port,
                exc,
            )
            self._schedule_reconnect()

    @property
    def bound(self) -> bool:
        return self._session is not None and self._session.alive

    async def _bound(self) -> _Session:
        session = self._session
        if session is not None and session.alive:
            return session
        async with self._connect_lock:
            session = self._session
            if session is not None and session.alive:
                return session
            if self._closing:
                raise TemporaryFailure("SMPP channel is closing")
            session = await self._open()
            self._session = session
            return session

    async def _open(self) -> _Session:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self.timeout
            )
        except (OSError, TimeoutError) as exc:
            raise TemporaryFailure(f"cannot reach the SMSC: {type(exc).__name__}") from None
        session = _Session(reader, writer, self._on_request)
        session.start_reading()
        try:
            resp = await session.request(BIND_TRANSCEIVER, self._bind_body, self.timeout)
        except (TimeoutError, ConnectionError, OSError) as exc:
            await session.close(unbind=False, reply_within=1)
            raise TemporaryFailure(f"SMPP bind failed: {type(exc).__name__}") from None
        if resp.command_id != BIND_TRANSCEIVER_RESP or resp.status != ESME_ROK:
            await session.close(unbind=False, reply_within=1)
            log.error(
                "SMSC %s:%s refused bind_transceiver for %s: %s",
                self.host,
                self.port,
                self.system_id,
                _status_name(resp.status),
            )
            raise TemporaryFailure(f"SMPP bind refused: {_status_name(resp.status)}")
        session.start_keepalive(self.enquire_link_interval, self.timeout)
        watcher = asyncio.create_task(self._watch(session))
        self._tasks.add(watcher)
        watcher.add_done_callback(self._tasks.discard)
        log.info("SMPP bound to %s:%s as %s", self.host, self.port, self.system_id)
        return session

    async def _watch(self, session: _Session) -> None:
        await session.closed.wait()
        if not self._closing:
            self._schedule_reconnect()

    def _schedule_reconnect(self) -> None:
        if self._closing or (self._reconnector is not None and not self._reconnector.done()):
            return
        self._reconnector = asyncio.create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        delay, longest = self.reconnect_delay
        while not self._closing and not self.bound:
            await asyncio.sleep(delay)
            try:
                await self._bound()
            except TemporaryFailure:
                delay = min(delay * 2, longest)

    async def _on_request(self, session: _Session, pdu: _Pdu) -> None:
        if pdu.command_id == DELIVER_SM:
            await session.write(DELIVER_SM_RESP, pdu.sequence, b"\0")
            try:
                self._on_deliver_sm(pdu.body)
            except _ProtocolError as exc:
                log.warning("unreadable deliver_sm: %s", exc)
        elif pdu.command_id == ENQUIRE_LINK:
            await session.write(ENQUIRE_LINK_RESP, pdu.sequence)
        elif pdu.command_id == UNBIND:
            await session.write(UNBIND_RESP, pdu.sequence)
            log.info("SMSC unbound; reconnecting")
            session.shut()
        else:
            await session.write(GENERIC_NACK, pdu.sequence, status=ESME_RINVCMDID)

    # --- sending -------------------------------------------------------------------------

    def _submit_body(
        self, destination: str, esm_class: int, short_message: bytes, ttl: int
    ) -> bytes:
        validity = _relative_validity(ttl) if self.send_validity_period else ""
        return (
            b"\0"  # service_type
            + bytes([self.source_addr_ton, self.source_addr_npi])
            + _cstr(self.source_addr, 21)
            + bytes([1, 1])  # international, ISDN
            + _cstr(destination, 21)
            + bytes([esm_class, 0, 0])  # esm_class, protocol_id, priority_flag
            + b"\0"  # schedule_delivery_time: now
            + _cstr(validity, 17)
            # registered_delivery, replace_if_present_flag, data_coding (UCS2), sm_default_msg_id
            + bytes([1, 0, 8, 0])
            + bytes([len(short_message)])
            + short_message
        )

    async def send(self, message: Outgoing) -> Accepted:
        phone = sms_target(message).phone
        destination = e164(phone)
        parts = ucs2_parts(self.text_prefix + message.text, ref=message.id)
        token = next(self._send_ids)
        self._inflight.add(token)
        try:
            session = await self._bound()
            ids: list[str] = []
            for esm_class, short_message in parts:
                body = self._submit_body(destination, esm_class, short_message, message.ttl_seconds)
                try:
                    resp = await session.request(SUBMIT_SM, body, self.timeout)
                except TimeoutError:
                    raise TemporaryFailure("no submit_sm_resp in time") from None
                except (ConnectionError, OSError):
                    raise TemporaryFailure("SMPP connection lost while submitting") from None
                if resp.status != ESME_ROK:
                    name = _status_name(resp.status)
                    log.info("SMSC refused SMS to %s: %s", mask_phone(phone), name)
                    if resp.status in _TEMPORARY_STATUSES:
                        raise TemporaryFailure(f"SMSC answered {name}")
                    raise PermanentFailure(f"SMSC answered {name}")
                try:
                    message_id = _Fields(resp.body).cstr() if resp.body else ""
                except _ProtocolError:
                    message_id = ""
                if not message_id:
                    raise TemporaryFailure("submit_sm_resp without a message id")
                ids.append(message_id)
            self._register(ids)
            log.info(
                "SMS to %s accepted by the SMSC as %s (%d part%s)",
                mask_phone(phone),
                ids[0],
                len(ids),
                "" if len(ids) == 1 else "s",
            )
            return Accepted(provider_id=ids[0])
        finally:
            self._inflight.discard(token)
            self._release_early(token)

    # --- receipts ------------------------------------------------------------------------

    def _on_deliver_sm(self, body: bytes) -> None:
        fields = _Fields(body)
        fields.cstr()  # service_type
        source_ton = fields.u8()
        fields.take(1)  # source_addr_npi
        source_addr = fields.cstr()  # the person's phone, never logged
        fields.take(2)  # dest_addr_ton, dest_addr_npi
        fields.cstr()  # destination_addr
        esm_class = fields.u8()
        fields.take(2)
        fields.cstr()  # schedule_delivery_time
        fields.cstr()  # validity_period
        fields.take(2)  # registered_delivery, replace_if_present_flag
        data_coding = fields.u8()
        fields.take(1)  # sm_default_msg_id
        short_message = fields.take(fields.u8())
        tlvs = fields.tlvs()
        kind = esm_class & 0x3C
        if kind == 0x20:  # intermediate delivery notification: a final receipt follows
            return
        if kind == 0x00:
            self._on_mo(source_addr, source_ton, esm_class, data_coding, short_message)
            return
        if kind != 0x04:
            log.info("SME acknowledgement ignored")
            return
        text = short_message.decode("utf-16-be" if data_coding == 8 else "latin-1", "replace")
        raw: dict[str, Any] = dict(parse_receipt_text(text))
        message_id = raw.get("id", "")
        if _TLV_RECEIPTED_MESSAGE_ID in tlvs:
            message_id = tlvs[_TLV_RECEIPTED_MESSAGE_ID].rstrip(b"\0").decode("latin-1")
        status = str(raw.get("stat", "")).upper()
        if tlvs.get(_TLV_MESSAGE_STATE):
            state = tlvs[_TLV_MESSAGE_STATE][0]
            raw["message_state"] = state
            status = status or _MESSAGE_STATES.get(state, f"STATE{state}")
        if not message_id or not status:
            log.warning("delivery receipt without id or status ignored")
            return
        if status in _INTERMEDIATE_STATES:
            return
        self._on_receipt(_Receipt(message_id, status, raw))

    def _on_mo(
        self, source: str, ton: int, esm_class: int, data_coding: int, short_message: bytes
    ) -> None:
        if not source:
            log.warning("inbound SMS without a sender dropped")
            return
        phone = f"+{source}" if ton == 1 and not source.startswith("+") else source
        if esm_class & 0x40:  # UDHI: a user data header leads the message
            concat, payload = _concatenation(short_message)
            if concat is not None:
                whole = self._mo_part(source, concat, payload)
                if whole is None:
                    return  # more parts to come
                payload = whole
            short_message = payload
        codec = "utf-16-be" if data_coding == 8 else "latin-1"
        text = short_message.decode(codec, "replace")
        handler = self.on_inbound
        if handler is None:
            log.info("inbound SMS from %s dropped: no inbound handler", mask_phone(phone))
            return
        task = asyncio.create_task(
            self._hand_over_inbound(handler, InboundSms(phone=phone, text=text, provider="smpp"))
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _mo_part(self, source: str, concat: tuple[int, int, int], payload: bytes) -> bytes | None:
        """Keeps a part of a concatenated inbound SMS; the whole, in order, once all are in.

        Parts that never complete are forgotten after ``MO_PARTS_SECONDS`` (and beyond
        ``MO_PARTS_MAX`` messages in waiting, the oldest first).
        """
        ref, total, sequence = concat
        now = time.monotonic()
        while self._mo_parts:
            oldest, (since, _) = next(iter(self._mo_parts.items()))
            if now - since < self.MO_PARTS_SECONDS and len(self._mo_parts) <= self.MO_PARTS_MAX:
                break
            del self._mo_parts[oldest]
        if total < 2 or not 1 <= sequence <= total:
            return payload
        key = (source, ref, total)
        since, parts = self._mo_parts.setdefault(key, (now, {}))
        parts[sequence] = payload
        if len(parts) < total:
            return None
        del self._mo_parts[key]
        return b"".join(parts[i] for i in range(1, total + 1))

    async def _hand_over_inbound(self, handler: InboundHandler, message: InboundSms) -> None:
        for delay in (*self.receipt_retry_delays, None):
            try:
                result: object = handler(message)
                if inspect.isawaitable(result):
                    await result
                return
            except Exception:
                if delay is None:
                    log.exception("inbound handler failed for %s", mask_phone(message.phone))
                    return
            await asyncio.sleep(delay)

    def _on_receipt(self, receipt: _Receipt) -> None:
        if receipt.message_id not in self._part_of and self._inflight:
            # Its submit_sm_resp may still be on the way: hold it until the sends
            # now in flight have finished, so a multi-part message is known.
            self._early.append((receipt, set(self._inflight)))
            return
        self._resolve(receipt)

    def _release_early(self, token: int) -> None:
        held, self._early = self._early, []
        for receipt, waiting in held:
            waiting.discard(token)
            if waiting and receipt.message_id not in self._part_of:
                self._early.append((receipt, waiting))
            else:
                self._resolve(receipt)

    def _register(self, ids: list[str]) -> None:
        if len(ids) < 2:
            return
        self._groups[ids[0]] = _Group(parts=list(ids))
        for part in ids:
            self._part_of[part] = ids[0]
        while len(self._groups) > self._max_groups:
            _, old = self._groups.popitem(last=False)
            for part in old.parts:
                self._part_of.pop(part, None)

    def _resolve(self, receipt: _Receipt) -> None:
        if receipt.message_id in self._retired:
            return
        first = self._part_of.get(receipt.message_id)
        group = self._groups.get(first) if first is not None else None
        if first is None or group is None:
            self._emit(
                DeliveryReceipt(receipt.message_id, receipt.delivered, receipt.status, receipt.raw)
            )
            return
        group.seen[receipt.message_id] = receipt
        failed = next((r for r in group.seen.values() if not r.delivered), None)
        if failed is None and len(group.seen) < len(group.parts):
            return
        self._groups.pop(first, None)
        for part in group.parts:
            self._part_of.pop(part, None)
            if part not in group.seen:
                self._retired[part] = None
        while len(self._retired) > self._max_groups:
            self._retired.popitem(last=False)
        parts_raw = {part: r.raw for part, r in group.seen.items()}
        if failed is not None:
            self._emit(DeliveryReceipt(first, False, failed.status, {"parts": parts_raw}))
        else:
            self._emit(DeliveryReceipt(first, True, "DELIVRD", {"parts": parts_raw}))

    def _emit(self, receipt: DeliveryReceipt) -> None:
        handler = self.on_receipt
        if handler is None:
            log.warning("delivery receipt for %s dropped: no receipt handler", receipt.provider_id)
            return
        task = asyncio.create_task(self._hand_over(handler, receipt))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _hand_over(self, handler: ReceiptHandler, receipt: DeliveryReceipt) -> None:
        for delay in (*self.receipt_retry_delays, None):
            try:
                result: object = handler(receipt)
                if inspect.isawaitable(result):
                    result = await result
            except Exception:
                log.exception("receipt handler failed for %s", receipt.provider_id)
                return
            if result is not False:
                return
            if delay is None:
                log.info("delivery receipt for unknown message %s", receipt.provider_id)
                return
            await asyncio.sleep(delay)

    async def close(self) -> None:
        self._closing = True
        if self._reconnector is not None:
            self._reconnector.cancel()
        if self._session is not None:
            await self._session.close(unbind=True, reply_within=min(self.timeout, 2.0))
            self._session = None
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
        if self._reconnector is not None:
            with contextlib.suppress(BaseException):
                await self._reconnector
