"""A real Web Push service on loopback, playing the browser vendor's side.

It does what FCM or Mozilla autopush do with a message, within the RFCs:

* verifies the VAPID ``Authorization: vapid t=<JWT>, k=<key>`` header (RFC 8292):
  ES256 signature by ``k`` (checked with PyJWT, not with the sender's library),
  ``aud`` equal to this service's origin *with its port*, ``exp`` in the future
  and at most 24 h ahead, ``sub`` a ``mailto:`` or ``https:`` URL, and ``k``
  equal to the ``applicationServerKey`` the subscription was made with;
* requires ``Content-Encoding: aes128gcm``, a ``TTL``, a well-formed ``Topic`` and
  ``Urgency`` (RFC 8030) and a body of at most 4096 bytes;
* decrypts the body (RFC 8291, ``http_ece``) with the P-256 key and auth secret
  of the "browser" subscription it created in :meth:`PushService.new_subscription`;
* keeps every delivery, and a per-subscription inbox where a message with the
  same ``Topic`` replaces the one before it (as for a phone that was offline);
* answers 404, 410, 429 or 500 for an endpoint when told to.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import http_ece
import jwt
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify.channels.base import PushTarget

__all__ = ["Delivery", "PushService", "Subscription", "b64url", "running_push_service"]

TOPIC_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
URGENCIES = {"very-low", "low", "normal", "high"}


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscription:
    """What ``PushManager.subscribe()`` gives the page, plus the browser's secrets."""

    endpoint: str
    p256dh: str
    auth: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    application_server_key: str | None = None  # VAPID public key the page subscribed with

    @property
    def token(self) -> str:
        return self.endpoint.rsplit("/", 1)[-1]

    @property
    def target(self) -> PushTarget:
        return PushTarget(endpoint=self.endpoint, p256dh=self.p256dh, auth=self.auth)

    def to_json(self) -> dict[str, Any]:
        """The shape of ``PushSubscription.toJSON()`` that a page posts to the server."""
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": self.p256dh, "auth": self.auth},
        }


@dataclass
class Delivery:
    """One message the service accepted, decrypted."""

    token: str
    payload: bytes
    ttl: int
    topic: str | None
    urgency: str | None
    claims: dict[str, Any]
    vapid_key: str
    message_id: str
    received_at: float

    def json(self) -> Any:
        return json.loads(self.payload)


@dataclass
class Refusal:
    """A request the service turned down, and why (for assertions)."""

    token: str
    status: int
    reason: str


class PushService:
    """Start with ``await start()`` (or :func:`running_push_service`), stop with ``stop()``."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = 0
        self.subscriptions: dict[str, Subscription] = {}
        self.deliveries: list[Delivery] = []
        self.refusals: list[Refusal] = []
        self.topic_counts: Counter[str] = Counter()
        self._inbox: dict[str, list[Delivery]] = {}
        self._answers: dict[str, tuple[int, int | None]] = {}  # token -> (status, times left)
        self._runner: web.AppRunner | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024)
        app.router.add_post("/push/{token}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, 0)
        await site.start()
        server = site._server
        assert server is not None
        sockets = getattr(server, "sockets", None) or []
        self.port = int(sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- the browser's side ------------------------------------------------------------

    def new_subscription(self, application_server_key: str | None = None) -> Subscription:
        """A subscription as a browser would make it: its own P-256 key pair and auth secret.

        With ``application_server_key`` (a VAPID public key), only pushes signed by
        that key are accepted for it, as real push services do.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        public = key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        token = secrets.token_urlsafe(24)
        sub = Subscription(
            endpoint=f"{self.origin}/push/{token}",
            p256dh=b64url(public),
            auth=b64url(secrets.token_bytes(16)),
            private_key=key,
            application_server_key=application_server_key,
        )
        self.subscriptions[token] = sub
        self._inbox[token] = []
        return sub

    def answer(self, endpoint: str, status: int | None, *, times: int | None = None) -> None:
        """Answer ``status`` to pushes for this endpoint (``times`` times, or until reset with None)."""
        token = endpoint.rsplit("/", 1)[-1]
        if status is None:
            self._answers.pop(token, None)
        else:
            self._answers[token] = (status, times)

    def unsubscribe(self, endpoint: str) -> None:
        """The user revoked permission: the endpoint now answers 410 Gone."""
        self.answer(endpoint, 410)

    def inbox(self, sub: Subscription | str) -> list[Delivery]:
        """Messages waiting for a phone that was offline: one per Topic, the latest."""
        token = sub.token if isinstance(sub, Subscription) else sub.rsplit("/", 1)[-1]
        return list(self._inbox.get(token, []))

    def delivered_to(self, sub: Subscription) -> list[Delivery]:
        return [d for d in self.deliveries if d.token == sub.token]

    # --- the service -------------------------------------------------------------------

    def _refuse(self, token: str, status: int, reason: str) -> web.Response:
        self.refusals.append(Refusal(token, status, reason))
        return web.json_response({"code": status, "error": reason}, status=status)

    def _verify_vapid(self, header: str, sub: Subscription) -> tuple[dict[str, Any], str]:
        scheme, _, params = header.partition(" ")
        if scheme.lower() != "vapid":
            raise ValueError("Authorization scheme is not vapid")
        parts: dict[str, str] = {}
        for item in params.split(","):
            name, sep, value = item.strip().partition("=")
            if sep:
                parts[name.strip().lower()] = value.strip()
        if "t" not in parts or "k" not in parts:
            raise ValueError("vapid header needs t= and k=")
        k = parts["k"]
        point = b64url_decode(k)
        if len(point) != 65 or point[0] != 4:
            raise ValueError("k is not an uncompressed P-256 point")
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        try:
            claims: dict[str, Any] = jwt.decode(
                parts["t"],
                key=public,
                algorithms=["ES256"],
                audience=self.origin,
                options={"require": ["aud", "exp", "sub"]},
            )
        except jwt.PyJWTError as exc:
            raise ValueError(f"JWT rejected: {exc}") from None
        if jwt.get_unverified_header(parts["t"]).get("alg") != "ES256":
            raise ValueError("alg is not ES256")
        if int(claims["exp"]) > time.time() + 24 * 3600:
            raise ValueError("exp more than 24 hours ahead")
        sub_claim = str(claims["sub"])
        if not (sub_claim.startswith("mailto:") or sub_claim.startswith("https:")):
            raise ValueError("sub is not mailto: or https:")
        if sub.application_server_key is not None and k != sub.application_server_key:
            raise PermissionError("signed by another key than the subscription's")
        return claims, k

    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        body = await request.read()
        sub = self.subscriptions.get(token)
        if sub is None:
            return self._refuse(token, 404, "no such subscription")
        forced = self._answers.get(token)
        if forced is not None:
            status, times = forced
            if times is not None:
                if times <= 1:
                    self._answers.pop(token)
                else:
                    self._answers[token] = (status, times - 1)
            headers = {"Retry-After": "1"} if status == 429 else None
            self.refusals.append(Refusal(token, status, "told to"))
            return web.json_response({"code": status}, status=status, headers=headers)
        try:
            claims, k = self._verify_vapid(request.headers.get("Authorization", ""), sub)
        except PermissionError as exc:
            return self._refuse(token, 403, str(exc))
        except ValueError as exc:
            return self._refuse(token, 401, str(exc))
        if request.headers.get("Content-Encoding") != "aes128gcm":
            return self._refuse(token, 415, "Content-Encoding must be aes128gcm")
        ttl_header = request.headers.get("TTL")
        if ttl_header is None or not ttl_header.isdigit():
            return self._refuse(token, 400, "TTL header missing or not a number")
        topic = request.headers.get("Topic")
        if topic is not None and (len(topic) > 32 or not topic or set(topic) - TOPIC_CHARS):
            return self._refuse(token, 400, "Topic must be ≤32 URL-safe base64 characters")
        urgency = request.headers.get("Urgency")
        if urgency is not None and urgency not in URGENCIES:
            return self._refuse(token, 400, "bad Urgency")
        if len(body) > 4096:
            return self._refuse(token, 413, "payload too large")
        try:
            payload = http_ece.decrypt(
                body,
                private_key=sub.private_key,
                auth_secret=b64url_decode(sub.auth),
                version="aes128gcm",
            )
        except Exception as exc:
            return self._refuse(token, 400, f"cannot decrypt: {type(exc).__name__}: {exc}")
        message_id = secrets.token_urlsafe(12)
        delivery = Delivery(
            token=token,
            payload=bytes(payload),
            ttl=int(ttl_header),
            topic=topic,
            urgency=urgency,
            claims=claims,
            vapid_key=k,
            message_id=message_id,
            received_at=time.time(),
        )
        self.deliveries.append(delivery)
        inbox = self._inbox.setdefault(token, [])
        if topic is not None:
            self.topic_counts[topic] += 1
            inbox[:] = [d for d in inbox if d.topic != topic]
        inbox.append(delivery)
        return web.Response(status=201, headers={"Location": f"{self.origin}/message/{message_id}"})


@contextlib.asynccontextmanager
async def running_push_service() -> AsyncIterator[PushService]:
    service = PushService()
    await service.start()
    try:
        yield service
    finally:
        await service.stop()
