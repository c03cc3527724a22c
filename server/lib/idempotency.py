"""Replay-safe unsafe requests: the ``Idempotency-Key`` header.

A phone that lost its signal does not know whether a command it sent arrived, so
its offline queue sends it again with the same key. As in the IETF HTTPAPI
idempotency-key draft:

- the first request with a key runs, and its answer (any status below 500) is
  kept with a fingerprint of the request (method, path, query, body);
- the same key again with the same request gets that answer again, marked
  ``Idempotent-Replayed: true``, and nothing runs twice;
- the same key with another request is a 422; while the first is still running,
  a 409 (retry later);
- a 5xx or a crash forgets the key, so the retry runs for real.

Keys belong to the signed-in person (two people's keys never meet; a call without
log-in ignores the header) and are kept
``LINLI_IDEMPOTENCY_DAYS`` (default 30), longer than a phone keeps a queued
command; ``linli worker`` and the app's housekeeping prune them afterwards.

The answer is stored after the request's own transaction has committed (the
session dependency commits before the response starts). A process that dies
between the two leaves the key "running"; after ``STALE_AFTER`` a retry takes it
over and runs again, which the wish actions' ``expected_version`` turns into a
409 rather than a second change.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import msgspec
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPRequestEvent, Message, Receive, ReceiveMessage, Scope, Send
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.base import utcnow
from server.lib.errors import AppError, BadRequest, Conflict
from server.lib.i18n import N_
from server.lib.kvstore import KVEntry

__all__ = [
    "HEADER",
    "IdempotencyMiddleware",
    "document_in_openapi",
    "key_of",
    "request_fingerprint",
]

HEADER = "idempotency-key"
STALE_AFTER = timedelta(seconds=60)
MAX_STORED_BODY = 1024 * 1024
_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_KEY = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as a structured-field string allows
# What a replay must say again; the body may be compressed (the app gzips answers over
# 1 KiB), so its encoding goes with it.
_KEPT_HEADERS = (b"content-type", b"content-encoding", b"vary", b"location", b"retry-after")


def request_fingerprint(method: str, path: str, query: bytes, body: bytes) -> str:
    """What makes two requests "the same" for one key."""
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), query, body])).hexdigest()


def key_of(user_id: int, key: str) -> str:
    """Where a key is kept: per signed-in person."""
    return "idem:" + hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()


class _Record(msgspec.Struct):
    fingerprint: str
    state: str  # "running" or "done"
    started_at: float  # POSIX seconds
    status: int = 0
    headers: list[tuple[bytes, bytes]] = []
    body: bytes = b""


class IdempotencyMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        keep_days: int,
        max_body_bytes: int,
        write_lock: Any,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.max_body_bytes = max_body_bytes
        self.keep = timedelta(days=keep_days)
        self.write_lock = write_lock  # SQLite: writers queue on the server's file lock

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        method = str(scope.get("method", ""))
        user = scope.get("user")
        # Keys belong to a signed-in person; calls without log-in (log-in itself, provider
        # callbacks) have nobody to keep them for and run as they are.
        raw = dict(scope["headers"]).get(HEADER.encode()) if method in _UNSAFE and user else None
        if raw is None:
            await next_app(scope, receive, send)
            return
        # Refusals are AppErrors: the app's exception handlers answer them in the caller's
        # language, as any other error.
        key = raw.decode("latin-1").strip().strip('"')
        if not _KEY.fullmatch(key):
            raise BadRequest(N_("The Idempotency-Key header is not valid"))
        # The route's own bound (a map or people import may be larger than the server's).
        handler = scope.get("route_handler")
        limit = self.max_body_bytes
        if handler is not None and hasattr(handler, "resolve_request_max_body_size"):
            limit = handler.resolve_request_max_body_size() or limit
        body = await _read_body(receive, limit)
        if body is None:
            raise AppError(N_("The request is too large"), status_code=413)
        fingerprint = request_fingerprint(
            method, scope["path"], scope.get("query_string", b""), body
        )
        record_key = key_of(user.id, key)

        found = await self._claim(record_key, fingerprint)
        if found is not None:
            if found.fingerprint != fingerprint:
                raise AppError(
                    N_("This Idempotency-Key was already used for another request"),
                    status_code=422,
                )
            if found.state == "running":
                raise Conflict(
                    N_(
                        "A request with this Idempotency-Key is still being processed; try again shortly"
                    ),
                    headers={"retry-after": "2"},
                )
            await send(
                {
                    "type": "http.response.start",
                    "status": found.status,
                    "headers": [*found.headers, (b"idempotent-replayed", b"true")],
                }
            )
            await send({"type": "http.response.body", "body": found.body, "more_body": False})
            return

        sent_body = False

        async def replay_receive() -> ReceiveMessage:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                first: HTTPRequestEvent = {"type": "http.request", "body": body, "more_body": False}
                return first
            return await receive()

        status = 500
        headers: list[tuple[bytes, bytes]] = []
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal status, headers, size
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [
                    (bytes(k), bytes(v))
                    for k, v in message.get("headers", [])
                    if bytes(k).lower() in _KEPT_HEADERS
                ]
            elif message["type"] == "http.response.body":
                part = bytes(message.get("body", b""))
                size += len(part)
                if size <= MAX_STORED_BODY:
                    chunks.append(part)
            await send(message)

        try:
            await next_app(scope, replay_receive, capture)
        except BaseException:
            await self._forget(record_key)
            raise
        if status >= 500 or size > MAX_STORED_BODY:
            await self._forget(record_key)
            return
        await self._finish(record_key, fingerprint, status, headers, b"".join(chunks))

    # --- the record ---------------------------------------------------------------------

    async def _write(self, work: Any) -> Any:
        await self.write_lock.acquire()
        try:
            async with self.sessionmaker.begin() as session:
                return await work(session)
        finally:
            self.write_lock.release()

    async def _claim(self, record_key: str, fingerprint: str) -> _Record | None:
        """Take the key for this request (None), or the record another request left."""
        now = utcnow()
        running = _Record(fingerprint=fingerprint, state="running", started_at=now.timestamp())
        value = msgspec.msgpack.encode(running)

        async def insert(session: AsyncSession) -> None:
            session.add(KVEntry(key=record_key, value=value, expires_at=now + self.keep))

        async def load(session: AsyncSession) -> tuple[str, _Record | None]:
            entry = await session.get(KVEntry, record_key)
            if entry is None:
                return "gone", None
            if entry.expires_at is not None and entry.expires_at <= now:
                await session.delete(entry)
                return "gone", None
            found = msgspec.msgpack.decode(entry.value, type=_Record)
            stale = now.timestamp() - found.started_at > STALE_AFTER.total_seconds()
            if found.state == "running" and stale and found.fingerprint == fingerprint:
                # The first attempt died before it answered: this one takes over.
                taken = await session.execute(
                    update(KVEntry)
                    .where(KVEntry.key == record_key, KVEntry.value == entry.value)
                    .values(value=value, expires_at=now + self.keep)
                    .execution_options(synchronize_session=False)
                )
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return "mine", None
            return "found", found

        for _ in range(3):
            try:
                await self._write(insert)
                return None
            except IntegrityError:
                pass
            result: tuple[str, _Record | None] = await self._write(load)
            outcome, found = result
            if outcome == "mine":
                return None
            if outcome == "found":
                return found
            # Gone meanwhile (expired, or its request failed): try to claim it again.
        raise RuntimeError("idempotency key could not be claimed")  # three races lost in a row

    async def _finish(
        self,
        record_key: str,
        fingerprint: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
    ) -> None:
        done = _Record(
            fingerprint=fingerprint,
            state="done",
            started_at=utcnow().timestamp(),
            status=status,
            headers=headers,
            body=body,
        )

        async def store(session: AsyncSession) -> None:
            await session.execute(
                update(KVEntry)
                .where(KVEntry.key == record_key)
                .values(value=msgspec.msgpack.encode(done), expires_at=utcnow() + self.keep)
                .execution_options(synchronize_session=False)
            )

        await self._write(store)

    async def _forget(self, record_key: str) -> None:
        async def drop(session: AsyncSession) -> None:
            await session.execute(delete(KVEntry).where(KVEntry.key == record_key))

        await self._write(drop)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes (the route's bound)."""
    parts: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(parts)
        part = bytes(message.get("body", b""))
        size += len(part)
        if size > limit:
            return None
        parts.append(part)
        if not message.get("more_body", False):
            return b"".join(parts)


def document_in_openapi(openapi: Any) -> None:
    """Add the header, and the 409/422 it can answer, to every unsafe signed-in
    operation of the app's OpenAPI document (a ``litestar.openapi.spec.OpenAPI``)."""
    from litestar.openapi.spec import (
        OpenAPIMediaType,
        OpenAPIResponse,
        Parameter,
        Reference,
        Schema,
    )

    components = openapi.components
    components.parameters = dict(components.parameters or {})
    components.parameters["IdempotencyKey"] = Parameter(
        name="Idempotency-Key",
        param_in="header",
        required=False,
        description=(
            "A unique key per command (the PWA's offline queue sends the command's id). "
            "The same key with the same request replays the first answer "
            "(marked `Idempotent-Replayed: true`) and runs nothing twice; with another "
            "request it is a 422; while the first is still running, a 409. Keys are kept "
            "LINLI_IDEMPOTENCY_DAYS days for the signed-in person; ignored without log-in."
        ),
        schema=Schema(type="string", min_length=1, max_length=255),  # type: ignore[arg-type]
    )
    reference = Reference(ref="#/components/parameters/IdempotencyKey")
    error = Reference(ref="#/components/schemas/ErrorBody")
    answers = {
        "400": "The Idempotency-Key header is not valid",
        "409": "A request with this Idempotency-Key is still being processed; retry later",
        "422": "This Idempotency-Key was already used for another request",
    }
    for item in (openapi.paths or {}).values():
        for method in ("post", "put", "patch", "delete"):
            operation = getattr(item, method, None)
            if operation is None or operation.security == [{}]:
                continue  # no log-in: the header is ignored
            operation.parameters = [*(operation.parameters or []), reference]
            operation.responses = dict(operation.responses or {})
            for code, text in answers.items():
                documented = operation.responses.get(code)
                if documented is None:
                    operation.responses[code] = OpenAPIResponse(
                        description=text,
                        content={"application/json": OpenAPIMediaType(schema=error)},
                    )
                    continue
                body = (documented.content or {}).get("application/json")
                if body is not None and body.schema != error:
                    # The operation's own answer with this status, or the header's refusal.
                    body.schema = Schema(any_of=[body.schema, error])
                    documented.description = f"{documented.description}; or: {text}"
