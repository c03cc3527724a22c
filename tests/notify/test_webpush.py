"""WebPushChannel against a loopback push service that verifies VAPID and decrypts."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from server.notify.channels.base import (
    Accepted,
    Outgoing,
    PermanentFailure,
    PushTarget,
    SmsTarget,
    SubscriptionGone,
    TemporaryFailure,
)
from server.notify.channels.webpush import (
    MAX_PAYLOAD_BYTES,
    WebPushChannel,
    generate_vapid_keys,
    push_payload,
    topic_token,
    vapid_public_key,
)
from tests.support.push_service import PushService, b64url, b64url_decode

SUBJECT = "mailto:ops@linli.example.org"


@pytest.fixture
async def push() -> AsyncIterator[PushService]:
    service = PushService()
    await service.start()
    yield service
    await service.stop()


@pytest.fixture(scope="module")
def vapid() -> tuple[str, str]:
    return generate_vapid_keys()


@pytest.fixture
async def channel(vapid: tuple[str, str]) -> AsyncIterator[WebPushChannel]:
    ch = WebPushChannel(vapid[0], SUBJECT, timeout=5, require_https=False)
    yield ch
    await ch.close()


def outgoing(target: PushTarget | SmsTarget, **kw: object) -> Outgoing:
    fields: dict[str, object] = {
        "id": 42,
        "target": target,
        "title": "您的心愿已上墙",
        "text": "您的心愿“帮忙修自行车”已通过审核并发布",
        "template": "wish.approved",
        "params": {"title": "帮忙修自行车"},
        "url": "/#/wishes/7",
        "topic": "wish-7",
        "urgent": False,
        "ttl_seconds": 3600,
    }
    fields.update(kw)
    return Outgoing(**fields)  # type: ignore[arg-type]


def test_generated_keys_have_the_browser_formats(vapid: tuple[str, str]) -> None:
    private, public = vapid
    assert len(b64url_decode(private)) == 32 and "=" not in private
    point = b64url_decode(public)
    assert len(point) == 65 and point[0] == 4  # what PushManager.subscribe() takes
    assert vapid_public_key(private) == public
    # The same key as PEM is accepted and means the same key.
    from cryptography.hazmat.primitives import serialization

    key = ec.derive_private_key(int.from_bytes(b64url_decode(private), "big"), ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert vapid_public_key(pem) == public
    assert WebPushChannel(pem, SUBJECT).public_key == public
    with pytest.raises(ValueError):
        WebPushChannel("not-a-key", SUBJECT)
    with pytest.raises(ValueError):
        WebPushChannel(private, "ops@linli.example.org")  # sub must be mailto:/https:


def test_topic_token_is_a_valid_topic() -> None:
    assert topic_token("wish-7") == "wish-7"
    long = topic_token("wish:7:approved/社区")
    assert len(long) <= 32 and set(long) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    )
    assert topic_token("wish:7:approved/社区") == long  # stable, so a repeat replaces
    assert topic_token("x" * 33) != "x" * 33


async def test_delivers_encrypted_payload_with_verified_vapid(
    push: PushService, channel: WebPushChannel, vapid: tuple[str, str]
) -> None:
    sub = push.new_subscription(application_server_key=vapid[1])
    result = await channel.send(outgoing(sub.target))

    assert isinstance(result, Accepted)
    [d] = push.delivered_to(sub)
    assert result.provider_id == f"{push.origin}/message/{d.message_id}"
    assert d.json() == {
        "title": "您的心愿已上墙",
        "body": "您的心愿“帮忙修自行车”已通过审核并发布",
        "url": "/#/wishes/7",
        "tag": "wish-7",
        "id": 42,
    }
    assert d.topic == "wish-7"
    assert d.ttl == 3600
    assert d.urgency == "normal"
    assert d.claims["aud"] == push.origin and f":{push.port}" in d.claims["aud"]
    assert d.claims["sub"] == SUBJECT
    assert time.time() < d.claims["exp"] <= time.time() + 24 * 3600
    assert d.vapid_key == vapid[1]
    assert push.refusals == []


async def test_urgent_and_hashed_topic_and_repeat_replaces(
    push: PushService, channel: WebPushChannel
) -> None:
    sub = push.new_subscription()
    topic = "wish:7/approved — 登月社区"
    await channel.send(outgoing(sub.target, urgent=True, topic=topic, text="第一次"))
    await channel.send(outgoing(sub.target, urgent=True, topic=topic, text="第二次"))
    first, second = push.delivered_to(sub)
    assert first.urgency == second.urgency == "high"
    assert first.topic == second.topic == topic_token(topic)
    assert first.json()["tag"] == topic  # the service worker sees our own topic
    assert push.topic_counts[topic_token(topic)] == 2
    # An offline phone would get only the latest message for the topic.
    [waiting] = push.inbox(sub)
    assert waiting.json()["body"] == "第二次"


async def test_no_topic_sends_no_topic_header(push: PushService, channel: WebPushChannel) -> None:
    sub = push.new_subscription()
    await channel.send(outgoing(sub.target, topic=None))
    await channel.send(outgoing(sub.target, topic=None))
    assert [d.topic for d in push.delivered_to(sub)] == [None, None]
    assert len(push.inbox(sub)) == 2
    assert push.delivered_to(sub)[0].json()["tag"] is None


async def test_oversized_text_is_shortened_to_fit_one_record(
    push: PushService, channel: WebPushChannel
) -> None:
    sub = push.new_subscription()
    message = outgoing(sub.target, text="很长的心愿描述" * 400)
    assert len(push_payload(message)) <= MAX_PAYLOAD_BYTES
    await channel.send(message)
    [d] = push.delivered_to(sub)
    assert d.json()["body"].endswith("…")
    assert d.json()["title"] == message.title


@pytest.mark.parametrize("status", [404, 410])
async def test_gone_subscription(push: PushService, channel: WebPushChannel, status: int) -> None:
    sub = push.new_subscription()
    push.answer(sub.endpoint, status)
    with pytest.raises(SubscriptionGone):
        await channel.send(outgoing(sub.target))


async def test_unknown_endpoint_is_gone(push: PushService, channel: WebPushChannel) -> None:
    sub = push.new_subscription()
    target = PushTarget(sub.endpoint + "x", sub.p256dh, sub.auth)
    with pytest.raises(SubscriptionGone):
        await channel.send(outgoing(target))


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_transient_answers(push: PushService, channel: WebPushChannel, status: int) -> None:
    sub = push.new_subscription()
    push.answer(sub.endpoint, status, times=1)
    with pytest.raises(TemporaryFailure):
        await channel.send(outgoing(sub.target))
    assert isinstance(await channel.send(outgoing(sub.target)), Accepted)  # next try goes through


async def test_other_4xx_is_permanent(push: PushService, channel: WebPushChannel) -> None:
    sub = push.new_subscription()
    push.answer(sub.endpoint, 400)
    with pytest.raises(PermanentFailure) as info:
        await channel.send(outgoing(sub.target))
    assert not isinstance(info.value, SubscriptionGone)


async def test_network_errors_are_temporary(push: PushService, channel: WebPushChannel) -> None:
    sub = push.new_subscription()
    await push.stop()  # nothing listens on the port any more
    with pytest.raises(TemporaryFailure):
        await channel.send(outgoing(sub.target))


async def test_timeout_is_temporary(push: PushService, vapid: tuple[str, str]) -> None:
    import asyncio

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)
        writer.close()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    sub = push.new_subscription()
    target = PushTarget(f"http://127.0.0.1:{port}/push/{sub.token}", sub.p256dh, sub.auth)
    ch = WebPushChannel(vapid[0], SUBJECT, timeout=0.3, require_https=False)
    try:
        started = time.monotonic()
        with pytest.raises(TemporaryFailure):
            await ch.send(outgoing(target))
        assert time.monotonic() - started < 3
    finally:
        await ch.close()
        server.close()


async def test_signing_with_another_key_than_subscribed_is_refused(
    push: PushService, channel: WebPushChannel
) -> None:
    _, other_public = generate_vapid_keys()
    sub = push.new_subscription(application_server_key=other_public)
    with pytest.raises(PermanentFailure):
        await channel.send(outgoing(sub.target))
    assert push.refusals[-1].status == 403
    assert push.delivered_to(sub) == []


async def test_bad_subscription_keys_are_permanent(
    push: PushService, channel: WebPushChannel
) -> None:
    sub = push.new_subscription()
    with pytest.raises(PermanentFailure):
        await channel.send(outgoing(PushTarget(sub.endpoint, "AAAA", sub.auth)))


async def test_refuses_http_endpoints_by_default(push: PushService, vapid: tuple[str, str]) -> None:
    ch = WebPushChannel(vapid[0], SUBJECT)
    sub = push.new_subscription()
    try:
        with pytest.raises(PermanentFailure):
            await ch.send(outgoing(sub.target))
        with pytest.raises(PermanentFailure):
            await ch.send(outgoing(SmsTarget("13812345678")))
    finally:
        await ch.close()
    assert push.deliveries == [] and push.refusals == []


# --- the service's checks can fail: hand-made requests ------------------------------------


def vapid_header(
    signer: ec.EllipticCurvePrivateKey, claimed_k: str, claims: dict[str, object]
) -> str:
    token = jwt.encode(claims, signer, algorithm="ES256", headers={"typ": "JWT"})
    return f"vapid t={token}, k={claimed_k}"


async def post_raw(push: PushService, endpoint: str, authorization: str) -> httpx.Response:
    async with httpx.AsyncClient() as client:
        return await client.post(
            endpoint,
            content=b"\x00" * 100,
            headers={"Authorization": authorization, "Content-Encoding": "aes128gcm", "TTL": "60"},
        )


async def test_service_rejects_forged_and_misaddressed_tokens(push: PushService) -> None:
    from cryptography.hazmat.primitives import serialization

    key_a = ec.generate_private_key(ec.SECP256R1())
    key_b = ec.generate_private_key(ec.SECP256R1())
    k_a = b64url(
        key_a.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
    sub = push.new_subscription()
    good = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": SUBJECT}

    # Signed by B while k claims A: the signature does not verify.
    r = await post_raw(push, sub.endpoint, vapid_header(key_b, k_a, good))
    assert r.status_code == 401 and "JWT rejected" in push.refusals[-1].reason
    # Signed by A, but for the origin without its port.
    no_port = dict(good, aud="http://127.0.0.1")
    r = await post_raw(push, sub.endpoint, vapid_header(key_a, k_a, no_port))
    assert r.status_code == 401 and "audience" in push.refusals[-1].reason.lower()
    # Expired, or too far ahead.
    r = await post_raw(
        push, sub.endpoint, vapid_header(key_a, k_a, dict(good, exp=int(time.time()) - 5))
    )
    assert r.status_code == 401
    r = await post_raw(
        push, sub.endpoint, vapid_header(key_a, k_a, dict(good, exp=int(time.time()) + 25 * 3600))
    )
    assert r.status_code == 401 and "24 hours" in push.refusals[-1].reason
    # A sub that is neither mailto: nor https:.
    r = await post_raw(
        push, sub.endpoint, vapid_header(key_a, k_a, dict(good, sub="ops@example.org"))
    )
    assert r.status_code == 401
    # A well-signed token gets past VAPID, and the junk body then fails to decrypt.
    r = await post_raw(push, sub.endpoint, vapid_header(key_a, k_a, good))
    assert r.status_code == 400 and "decrypt" in push.refusals[-1].reason
    assert push.deliveries == []


async def test_service_requires_aes128gcm(push: PushService, vapid: tuple[str, str]) -> None:
    sub = push.new_subscription()
    key = ec.derive_private_key(int.from_bytes(b64url_decode(vapid[0]), "big"), ec.SECP256R1())
    claims = {"aud": push.origin, "exp": int(time.time()) + 3600, "sub": SUBJECT}
    async with httpx.AsyncClient() as client:
        r = await client.post(
            sub.endpoint,
            content=b"x",
            headers={
                "Authorization": vapid_header(key, vapid[1], claims),
                "Content-Encoding": "aesgcm",
                "TTL": "60",
            },
        )
    assert r.status_code == 415


def test_payload_is_compact_json() -> None:
    message = outgoing(PushTarget("https://push.example/x", "k", "a"))
    data = push_payload(message)
    assert json.loads(data)["id"] == 42
    assert "您的心愿".encode() in data  # UTF-8, not \\u escapes: more text fits
