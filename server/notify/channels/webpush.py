"""Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payloads (RFC 8291).

The channel encrypts one JSON payload per subscription with pywebpush and posts
it to the subscription's push service over aiohttp (pywebpush's async API; the
ECDH and AES work it does inline takes well under a millisecond). The push
service's answer becomes the channel outcome:

====================  =====================
201/202               :class:`Accepted` (id: the ``Location`` header)
404/410               :class:`SubscriptionGone`
429, 5xx, network     :class:`TemporaryFailure`
any other status      :class:`PermanentFailure`
====================  =====================

VAPID keys: the private key is the raw P-256 scalar as unpadded base64url (43
characters, what ``web-push generate-vapid-keys`` and :func:`generate_vapid_keys`
print); a PEM private key is accepted too. The browser needs the matching public
key, :func:`vapid_public_key`, as ``applicationServerKey``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid, VapidException
from pywebpush import WebPushException, webpush_async

from server.notify.channels.base import (
    Accepted,
    Outgoing,
    PermanentFailure,
    PushTarget,
    SubscriptionGone,
    TemporaryFailure,
)

__all__ = [
    "MAX_PAYLOAD_BYTES",
    "WebPushChannel",
    "generate_vapid_keys",
    "push_payload",
    "topic_token",
    "vapid_public_key",
]

log = logging.getLogger("linli.notify.push")

# aes128gcm in one 4096-byte record: 86 bytes of header, 16 of tag, 1 delimiter.
# Push services must accept 4096 bytes; keep the plaintext well inside that.
MAX_PAYLOAD_BYTES = 3800
# RFC 8292 allows at most 24 h; a shorter token limits what a leaked one is worth.
VAPID_TOKEN_SECONDS = 12 * 3600
_TOPIC_RE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _load_private_key(key: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key from raw base64url (32 bytes), base64 DER, or PEM."""
    key = key.strip()
    try:
        if "-----BEGIN" in key:
            loaded = serialization.load_pem_private_key(key.encode(), password=None)
        else:
            raw = _b64url_decode(key.replace("\n", "").replace("+", "-").replace("/", "_"))
            if len(raw) == 32:
                loaded = ec.derive_private_key(int.from_bytes(raw, "big"), ec.SECP256R1())
            else:
                loaded = serialization.load_der_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not a usable VAPID private key: {exc}") from None
    if not isinstance(loaded, ec.EllipticCurvePrivateKey) or not isinstance(
        loaded.curve, ec.SECP256R1
    ):
        raise ValueError("a VAPID key must be an EC key on P-256 (prime256v1)")
    return loaded


def _public_point(key: ec.EllipticCurvePrivateKey) -> str:
    return _b64url(
        key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )


def generate_vapid_keys() -> tuple[str, str]:
    """A new VAPID key pair: (private, public), both unpadded base64url.

    The private key is the raw 32-byte P-256 scalar (what :class:`WebPushChannel`
    takes); the public key is the 65-byte uncompressed point that the browser's
    ``PushManager.subscribe({applicationServerKey})`` needs.
    """
    key = ec.generate_private_key(ec.SECP256R1())
    private = _b64url(key.private_numbers().private_value.to_bytes(32, "big"))
    return private, _public_point(key)


def vapid_public_key(vapid_private_key: str) -> str:
    """The ``applicationServerKey`` (uncompressed point, base64url) for a private key."""
    return _public_point(_load_private_key(vapid_private_key))


def topic_token(topic: str) -> str:
    """A valid ``Topic`` header for our topic: at most 32 URL-safe base64 characters.

    A topic that already is one is used as it is; any other is hashed, so the
    same topic always gives the same token and a repeat replaces the first.
    """
    if _TOPIC_RE.match(topic):
        return topic
    return _b64url(hashlib.sha256(topic.encode("utf-8")).digest())[:32]


def push_payload(message: Outgoing) -> bytes:
    """The JSON the service worker receives: title, body, url, tag, id.

    The body is shortened (with an ellipsis) if the whole would not fit one
    aes128gcm record.
    """
    title, body = message.title, message.text

    def encode() -> bytes:
        return json.dumps(
            {
                "title": title,
                "body": body,
                "url": message.url,
                "tag": message.topic,
                "id": message.id,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        ).encode("utf-8")

    data = encode()
    while len(data) > MAX_PAYLOAD_BYTES and (len(body) > 1 or len(title) > 1):
        if len(body) > 1:
            body = body[: max(1, len(body) * 3 // 4)].rstrip() + "…"
        else:
            title = title[: max(1, len(title) * 3 // 4)].rstrip() + "…"
        data = encode()
    return data


def _origin(endpoint: str) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFailure("push endpoint is not an http(s) URL")
    host = parts.hostname
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    default_port = 443 if parts.scheme == "https" else 80
    port = "" if parts.port in (None, default_port) else f":{parts.port}"
    return f"{parts.scheme}://{host}{port}"


def _status_outcome(status: int, reason: str) -> Exception:
    if status in (404, 410):
        return SubscriptionGone(f"push service answered {status}")
    if status == 429 or status >= 500:
        return TemporaryFailure(f"push service answered {status} {reason}".strip())
    return PermanentFailure(f"push service answered {status} {reason}".strip())


class WebPushChannel:
    """Sends web push messages to :class:`PushTarget` subscriptions.

    ``vapid_subject`` is the contact push services may use: ``mailto:ops@example.org``
    or an ``https:`` URL. ``require_https`` refuses plain-http endpoints (push
    services are all https; tests against a loopback push service turn it off).
    """

    name = "push"

    def __init__(
        self,
        vapid_private_key: str,
        vapid_subject: str,
        *,
        timeout: float = 10,
        require_https: bool = True,
    ) -> None:
        if not vapid_subject.startswith(("mailto:", "https:")):
            raise ValueError("vapid_subject must be a mailto: or https: URL")
        self._key = _load_private_key(vapid_private_key)
        self._vapid: Any = Vapid(self._key)
        self.public_key = _public_point(self._key)
        self.subject = vapid_subject
        self.timeout = timeout
        self.require_https = require_https
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, inside the running loop, and kept for its connection pool.
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self.timeout),
                connector=aiohttp.TCPConnector(limit=20),
            )
        return self._session

    async def send(self, message: Outgoing) -> Accepted:
        target = message.target
        if not isinstance(target, PushTarget):
            raise PermanentFailure("the push channel only sends to push subscriptions")
        aud = _origin(target.endpoint)
        if self.require_https and not aud.startswith("https://"):
            raise PermanentFailure("push endpoint is not https")
        headers: dict[str, str | int | float] = {
            "Urgency": "high" if message.urgent else "normal",
        }
        if message.topic:
            headers["Topic"] = topic_token(message.topic)
        # pywebpush writes aud/exp into the claims dict it is given: a fresh one each time.
        claims: dict[str, str | int] = {
            "sub": self.subject,
            "aud": aud,
            "exp": int(time.time()) + VAPID_TOKEN_SECONDS,
        }
        subscription: dict[str, Any] = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": target.p256dh, "auth": target.auth},
        }
        try:
            response = await webpush_async(
                subscription_info=subscription,
                data=push_payload(message).decode("utf-8"),
                vapid_private_key=self._vapid,
                vapid_claims=claims,
                content_encoding="aes128gcm",
                timeout=self.timeout,
                ttl=max(0, message.ttl_seconds),
                headers=headers,
                aiohttp_session=self._client(),
            )
        except WebPushException as exc:
            status = exc.status_code
            if status is None:  # raised before anything was sent: bad subscription keys
                raise PermanentFailure(
                    f"cannot encrypt for this subscription: {exc.message}"
                ) from None
            reason = str(getattr(exc.response, "reason", "") or "")
            outcome = _status_outcome(status, reason)
            log.info("push %s for outbox row %s", outcome, message.id)
            raise outcome from None
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise TemporaryFailure(f"push service unreachable: {type(exc).__name__}") from None
        except (ValueError, TypeError) as exc:  # malformed p256dh/auth in the subscription
            raise PermanentFailure(f"cannot encrypt for this subscription: {exc}") from None
        except VapidException as exc:  # claims py_vapid will not sign, e.g. an IPv6 origin
            raise PermanentFailure(f"cannot sign VAPID claims: {exc}") from None
        location = response.headers.get("Location")
        return Accepted(provider_id=location[:80] if location else None)

    async def close(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # Let the connector's transports finish closing before the loop moves on.
            await asyncio.sleep(0)
        self._session = None
