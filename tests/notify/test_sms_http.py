"""Console, Aliyun and Tencent SMS channels; the HTTP ones against signature-checking fakes."""

from __future__ import annotations

import hashlib
import io
import json
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import httpx
import pytest

from server.config import load_settings
from server.notify.channels.base import (
    Accepted,
    Outgoing,
    PermanentFailure,
    PushTarget,
    SentSms,
    SmsTarget,
    TemporaryFailure,
)
from server.notify.channels.sms import (
    AliyunSms,
    ConsoleSms,
    TencentSms,
    TencentTemplate,
    aliyun_signature,
    tc3_authorization,
)
from tests.conftest import env
from tests.support.sms_fakes import (
    AliyunFake,
    TencentFake,
    aliyun_sign,
    aliyun_string_to_sign,
    tc3_canonical_request,
    tc3_sign,
)

PHONE = "13812345678"


def sms(template: str = "wish.approved", *, phone: str = PHONE, **params: str) -> Outgoing:
    return Outgoing(
        id=42,
        target=SmsTarget(phone),
        title="您的心愿已上墙",
        text="您的心愿“帮忙修自行车”已通过审核并发布",
        template=template,
        params=params or {"title": "帮忙修自行车"},
    )


# --- console -------------------------------------------------------------------------------


async def test_console_prints_one_masked_line() -> None:
    out = io.StringIO()
    channel = ConsoleSms(stream=out)
    message = Outgoing(
        id=42, target=SmsTarget(PHONE), title="t", text="第一行\n第二行", template="wish.approved"
    )
    assert await channel.send(message) == Accepted(provider_id="console-42")
    lines = out.getvalue().splitlines()
    assert lines == ["SMS to 138****5678 (outbox 42): 第一行 ⏎ 第二行"]
    assert list(channel.sent) == [message]
    await channel.close()


async def test_console_logs_by_default(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="linli.notify.sms")
    await ConsoleSms().send(sms())
    [record] = caplog.records
    assert "138****5678" in record.getMessage() and PHONE not in record.getMessage()
    assert "帮忙修自行车" in record.getMessage()  # the console is the one place text is shown


@pytest.mark.parametrize("channel", [ConsoleSms(), AliyunSms("id", "s", "邻里", {})])
async def test_sms_channels_refuse_push_targets(channel: ConsoleSms | AliyunSms) -> None:
    message = Outgoing(
        id=1, target=PushTarget("https://x", "k", "a"), title="", text="", template="t"
    )
    with pytest.raises(PermanentFailure):
        await channel.send(message)
    await channel.close()


# --- Aliyun: the signature against the documentation -----------------------------------------

# The worked example of Aliyun's SMS API documentation ("HTTP 协议及签名"): these
# parameters, AccessKeySecret "testSecret", GET.
ALIYUN_DOC_PARAMS = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
    "Version": "2017-05-25",
}
ALIYUN_DOC_STRING_TO_SIGN = (
    "GET&%2F&AccessKeyId%3DtestId%26Action%3DSendSms%26Format%3DXML%26OutId%3D123"
    "%26PhoneNumbers%3D15300000001%26RegionId%3Dcn-hangzhou%26SignName%3D"
    "%25E9%2598%25BF%25E9%2587%258C%25E4%25BA%2591%25E7%259F%25AD%25E4%25BF%25A1"
    "%25E6%25B5%258B%25E8%25AF%2595%25E4%25B8%2593%25E7%2594%25A8"
    "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D45e25e9b-0a6f-4070-8c85-2956eda1b466"
    "%26SignatureVersion%3D1.0%26TemplateCode%3DSMS_71390007"
    "%26TemplateParam%3D%257B%2522customer%2522%253A%2522test%2522%257D"
    "%26Timestamp%3D2017-07-12T02%253A42%253A19Z%26Version%3D2017-05-25"
)
ALIYUN_DOC_SIGNATURE = "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_matches_the_documented_example() -> None:
    assert aliyun_string_to_sign("GET", ALIYUN_DOC_PARAMS) == ALIYUN_DOC_STRING_TO_SIGN
    assert aliyun_sign("GET", ALIYUN_DOC_PARAMS, "testSecret") == ALIYUN_DOC_SIGNATURE
    assert aliyun_signature(ALIYUN_DOC_PARAMS, "testSecret", "GET") == ALIYUN_DOC_SIGNATURE


def test_aliyun_signature_matches_the_rpc_documentation_example() -> None:
    # Aliyun's general RPC signature example (ECS DescribeRegions, AccessKeySecret "testsecret").
    params = {
        "AccessKeyId": "testid",
        "Action": "DescribeRegions",
        "Format": "XML",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        "SignatureVersion": "1.0",
        "Timestamp": "2016-02-23T12:46:24Z",
        "Version": "2014-05-26",
    }
    assert aliyun_sign("GET", params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    assert aliyun_signature(params, "testsecret", "GET") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
    # Percent-encoding corner cases the algorithm spells out.
    tricky = dict(params, Extra="a b*c~d/é")
    assert aliyun_signature(tricky, "testsecret", "GET") == aliyun_sign("GET", tricky, "testsecret")
    assert "a%2520b%252Ac~d%252F%25C3%25A9" in aliyun_string_to_sign("GET", tricky)


# --- Aliyun: against the fake ------------------------------------------------------------------

ALIYUN_TEMPLATES = {"wish.approved": "SMS_1001", "wish.rejected": "SMS_1002"}


@pytest.fixture
async def aliyun_fake() -> AsyncIterator[AliyunFake]:
    fake = AliyunFake(
        keys={"LTAI-linli": "aliyun-secret"},
        sign_names={"邻里"},
        templates={"SMS_1001": ["title"], "SMS_1002": ["title", "reason"]},
    )
    async with fake:
        yield fake


@pytest.fixture
async def aliyun(aliyun_fake: AliyunFake) -> AsyncIterator[AliyunSms]:
    channel = AliyunSms(
        "LTAI-linli", "aliyun-secret", "邻里", ALIYUN_TEMPLATES, endpoint=aliyun_fake.endpoint
    )
    yield channel
    await channel.close()


async def test_aliyun_sends(aliyun: AliyunSms, aliyun_fake: AliyunFake) -> None:
    result = await aliyun.send(sms())
    assert aliyun_fake.refusals == []
    [params] = aliyun_fake.received
    assert result.provider_id is not None and result.provider_id.endswith("^0")
    assert params["PhoneNumbers"] == PHONE
    assert params["SignName"] == "邻里"
    assert params["TemplateCode"] == "SMS_1001"
    assert json.loads(params["TemplateParam"]) == {"title": "帮忙修自行车"}
    assert params["OutId"] == "42"
    assert params["Format"] == "JSON" and params["Version"] == "2017-05-25"


async def test_aliyun_international_numbers_and_fresh_nonces(
    aliyun: AliyunSms, aliyun_fake: AliyunFake
) -> None:
    await aliyun.send(sms(phone="+85291234567"))
    await aliyun.send(sms(phone="+8613812345678"))
    first, second = aliyun_fake.received
    assert first["PhoneNumbers"] == "85291234567"
    assert second["PhoneNumbers"] == PHONE
    assert first["SignatureNonce"] != second["SignatureNonce"]
    assert aliyun_fake.refusals == []


async def test_aliyun_template_without_code_is_permanent(
    aliyun: AliyunSms, aliyun_fake: AliyunFake
) -> None:
    with pytest.raises(PermanentFailure):
        await aliyun.send(sms("wish.claimed", title="x", claimant="y"))
    assert aliyun_fake.received == []


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("isv.BUSINESS_LIMIT_CONTROL", TemporaryFailure),
        ("Throttling.User", TemporaryFailure),
        ("isv.AMOUNT_NOT_ENOUGH", TemporaryFailure),
        ("HTTP 503", TemporaryFailure),
        ("isv.MOBILE_NUMBER_ILLEGAL", PermanentFailure),
        ("isv.SMS_TEMPLATE_ILLEGAL", PermanentFailure),
    ],
)
async def test_aliyun_answers(
    aliyun: AliyunSms, aliyun_fake: AliyunFake, code: str, outcome: type[Exception]
) -> None:
    aliyun_fake.next_codes = [code]
    with pytest.raises(outcome):
        await aliyun.send(sms())
    assert isinstance(await aliyun.send(sms()), Accepted)


async def test_aliyun_wrong_secret_is_rejected(aliyun_fake: AliyunFake) -> None:
    channel = AliyunSms(
        "LTAI-linli", "not-the-secret", "邻里", ALIYUN_TEMPLATES, endpoint=aliyun_fake.endpoint
    )
    try:
        with pytest.raises(PermanentFailure, match="SignatureDoesNotMatch"):
            await channel.send(sms())
    finally:
        await channel.close()
    assert aliyun_fake.refusals == ["SignatureDoesNotMatch"]


async def test_aliyun_fake_rejects_a_tampered_request(
    aliyun: AliyunSms, aliyun_fake: AliyunFake
) -> None:
    from datetime import UTC, datetime

    params = aliyun.request_params(
        sms(), nonce="n-1", timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    params["PhoneNumbers"] = "13900000000"  # changed after signing
    async with httpx.AsyncClient() as client:
        r = await client.post(aliyun_fake.endpoint + "/", data=params)
    assert r.status_code == 400 and r.json()["Code"] == "SignatureDoesNotMatch"


async def test_aliyun_unreachable_is_temporary(aliyun: AliyunSms, aliyun_fake: AliyunFake) -> None:
    await aliyun_fake.stop()
    with pytest.raises(TemporaryFailure):
        await aliyun.send(sms())


# --- Tencent: the signature against the documentation ----------------------------------------

# The worked example of Tencent Cloud's "Signature v3" documentation (CVM DescribeInstances).
TC3_DOC_PAYLOAD = (
    b'{"Limit": 1, "Filters": [{"Values": ["\\u672a\\u547d\\u540d"], "Name": "instance-name"}]}'
)
TC3_DOC_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "Host": "cvm.tencentcloudapi.com",
    "X-TC-Action": "DescribeInstances",
}
TC3_DOC_SECRET_ID = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE"
TC3_DOC_SECRET_KEY = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE"
TC3_DOC_TIMESTAMP = 1551113065


def test_tc3_signature_matches_the_documented_example() -> None:
    assert hashlib.sha256(TC3_DOC_PAYLOAD).hexdigest() == (
        "35e9c5b0e3ae67532d3c9f17ead6c90222632e5b1ff7f6e89887f1398934f064"
    )
    # Signed headers content-type;host (the example with the full signature).
    canonical = tc3_canonical_request(
        "POST", TC3_DOC_HEADERS, ["content-type", "host"], TC3_DOC_PAYLOAD
    )
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    )
    string_to_sign, signature = tc3_sign(TC3_DOC_SECRET_KEY, TC3_DOC_TIMESTAMP, "cvm", canonical)
    assert string_to_sign.split("\n")[:3] == [
        "TC3-HMAC-SHA256",
        "1551113065",
        "2019-02-25/cvm/tc3_request",
    ]
    expected = "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    assert signature == expected
    assert tc3_authorization(
        TC3_DOC_SECRET_ID,
        TC3_DOC_SECRET_KEY,
        service="cvm",
        headers=TC3_DOC_HEADERS,
        payload=TC3_DOC_PAYLOAD,
        timestamp=TC3_DOC_TIMESTAMP,
        signed=("content-type", "host"),
    ) == (
        f"TC3-HMAC-SHA256 Credential={TC3_DOC_SECRET_ID}/2019-02-25/cvm/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={expected}"
    )
    # The current documentation also signs x-tc-action, whose value goes in lower case.
    canonical = tc3_canonical_request(
        "POST", TC3_DOC_HEADERS, ["content-type", "host", "x-tc-action"], TC3_DOC_PAYLOAD
    )
    assert "x-tc-action:describeinstances\n" in canonical
    assert hashlib.sha256(canonical.encode()).hexdigest() == (
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    )
    _, fake_signature = tc3_sign(TC3_DOC_SECRET_KEY, TC3_DOC_TIMESTAMP, "cvm", canonical)
    client_header = tc3_authorization(
        TC3_DOC_SECRET_ID,
        TC3_DOC_SECRET_KEY,
        service="cvm",
        headers=TC3_DOC_HEADERS,
        payload=TC3_DOC_PAYLOAD,
        timestamp=TC3_DOC_TIMESTAMP,
    )
    assert client_header.endswith(
        f"SignedHeaders=content-type;host;x-tc-action, Signature={fake_signature}"
    )


# --- Tencent: against the fake -----------------------------------------------------------------

TENCENT_TEMPLATES: dict[str, TencentTemplate] = {
    "wish.approved": {"id": "2001", "params": ["title"]},
    "wish.rejected": {"id": "2002", "params": ["title", "reason"]},
}


@pytest.fixture
async def tencent_fake() -> AsyncIterator[TencentFake]:
    fake = TencentFake(
        keys={"AKID-linli": "tencent-secret"},
        sdk_app_id="1400000001",
        sign_names={"邻里"},
        templates={"2001": 1, "2002": 2},
    )
    async with fake:
        yield fake


@pytest.fixture
async def tencent(tencent_fake: TencentFake) -> AsyncIterator[TencentSms]:
    channel = TencentSms(
        "AKID-linli",
        "tencent-secret",
        "1400000001",
        "邻里",
        TENCENT_TEMPLATES,
        endpoint=tencent_fake.endpoint,
    )
    yield channel
    await channel.close()


async def test_tencent_sends(tencent: TencentSms, tencent_fake: TencentFake) -> None:
    result = await tencent.send(sms("wish.rejected", title="帮忙修自行车", reason="重复提交"))
    assert tencent_fake.refusals == []
    [request] = tencent_fake.received
    assert result.provider_id is not None and result.provider_id.startswith("2645:")
    assert request["body"] == {
        "PhoneNumberSet": ["+8613812345678"],
        "SmsSdkAppId": "1400000001",
        "SignName": "邻里",
        "TemplateId": "2002",
        "TemplateParamSet": ["帮忙修自行车", "重复提交"],  # in the configured order
        "SessionContext": "42",
    }
    headers = request["headers"]
    assert headers["X-TC-Action"] == "SendSms" and headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert "SignedHeaders=content-type;host;x-tc-action" in headers["Authorization"]


async def test_tencent_config_errors(tencent: TencentSms, tencent_fake: TencentFake) -> None:
    with pytest.raises(PermanentFailure):
        await tencent.send(sms("wish.claimed", title="x", claimant="y"))  # no template configured
    with pytest.raises(PermanentFailure):
        await tencent.send(sms("wish.rejected", title="x"))  # a parameter missing
    assert tencent_fake.received == []
    with pytest.raises(ValueError):
        TencentSms("a", "b", "c", "d", {"wish.approved": {"id": "1"}})  # type: ignore[typeddict-item]


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("LimitExceeded.PhoneNumberThirtySecondLimit", TemporaryFailure),
        ("LimitExceeded.PhoneNumberDailyLimit", TemporaryFailure),
        ("Error:RequestLimitExceeded", TemporaryFailure),
        ("Error:InternalError.Timeout", TemporaryFailure),
        ("FailedOperation.PhoneNumberInBlacklist", PermanentFailure),
        ("InvalidParameterValue.IncorrectPhoneNumber", PermanentFailure),
        ("Error:UnauthorizedOperation.SmsSdkAppIdVerifyFail", PermanentFailure),
    ],
)
async def test_tencent_answers(
    tencent: TencentSms, tencent_fake: TencentFake, code: str, outcome: type[Exception]
) -> None:
    tencent_fake.next_codes = [code]
    with pytest.raises(outcome):
        await tencent.send(sms())
    assert isinstance(await tencent.send(sms()), Accepted)


async def test_tencent_wrong_secret_is_rejected(tencent_fake: TencentFake) -> None:
    channel = TencentSms(
        "AKID-linli",
        "wrong",
        "1400000001",
        "邻里",
        TENCENT_TEMPLATES,
        endpoint=tencent_fake.endpoint,
    )
    try:
        with pytest.raises(PermanentFailure, match=r"AuthFailure\.SignatureFailure"):
            await channel.send(sms())
    finally:
        await channel.close()
    assert tencent_fake.refusals == ["AuthFailure.SignatureFailure"]


async def test_tencent_fake_rejects_a_tampered_body(
    tencent: TencentSms, tencent_fake: TencentFake
) -> None:
    import time

    headers, payload = tencent.request(sms(), timestamp=int(time.time()))
    tampered = payload.replace(b"+8613812345678", b"+8613900000000")
    async with httpx.AsyncClient() as client:
        r = await client.post(tencent_fake.endpoint + "/", content=tampered, headers=headers)
    assert r.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"
    async with httpx.AsyncClient() as client:  # the untouched request is fine
        r = await client.post(tencent_fake.endpoint + "/", content=payload, headers=headers)
    assert r.json()["Response"]["SendStatusSet"][0]["Code"] == "Ok"


async def test_tencent_unreachable_is_temporary(
    tencent: TencentSms, tencent_fake: TencentFake
) -> None:
    await tencent_fake.stop()
    with pytest.raises(TemporaryFailure):
        await tencent.send(sms())


async def test_http_providers_log_no_phone_and_no_params(
    aliyun: AliyunSms, tencent: TencentSms, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await aliyun.send(sms())
    await tencent.send(sms())
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in logged
    assert PHONE not in logged and "帮忙修自行车" not in logged


# --- delivery reports, asked for ---------------------------------------------------------------


def numbered(outbox_id: int, phone: str = PHONE) -> Outgoing:
    return Outgoing(
        id=outbox_id,
        target=SmsTarget(phone),
        title="t",
        text="x",
        template="wish.approved",
        params={"title": "帮忙修自行车"},
    )


async def test_aliyun_asks_query_send_details_about_each_message(
    aliyun: AliyunSms, aliyun_fake: AliyunFake
) -> None:
    now = datetime.now(UTC)
    delivered = await aliyun.send(numbered(1))
    failed = await aliyun.send(numbered(2, "+8613900000001"))
    waiting = await aliyun.send(numbered(3))
    aliyun_fake.report(delivered.provider_id or "", delivered=True)
    aliyun_fake.report(failed.provider_id or "", delivered=False, code="MK:0001")
    pending = [
        SentSms(1, delivered.provider_id or "", PHONE, now),
        SentSms(2, failed.provider_id or "", "13900000001", now),
        SentSms(3, waiting.provider_id or "", PHONE, now),
        SentSms(4, "123456789012345^0", PHONE, now),  # the provider knows nothing of it
        SentSms(5, "223456789012345^0", None, now),  # no number left to ask with: skipped
    ]
    receipts = await aliyun.poll_receipts(pending)
    assert [(r.provider_id, r.delivered, r.status) for r in receipts] == [
        (delivered.provider_id, True, "DELIVERED"),
        (failed.provider_id, False, "MK:0001"),
    ]
    assert receipts[0].raw["ReceiveDate"] and "PhoneNum" not in receipts[0].raw
    assert aliyun_fake.refusals == []  # every query signed right and complete
    queries = [p for p in aliyun_fake.received if p["Action"] == "QuerySendDetails"]
    # One per message with a number (two for one unknown a few minutes from midnight, China time).
    assert {q["BizId"] for q in queries} == {s.provider_id for s in pending[:4]}
    [query] = [q for q in queries if q["BizId"] == failed.provider_id]
    assert query["PhoneNumber"] == "13900000001"
    assert query["SendDate"] == now.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y%m%d")
    assert query["PageSize"] == "10" and query["CurrentPage"] == "1"


async def test_aliyun_poll_stops_when_throttled_and_skips_a_refused_message(
    aliyun: AliyunSms, aliyun_fake: AliyunFake
) -> None:
    now = datetime.now(UTC)
    first = await aliyun.send(numbered(1))
    second = await aliyun.send(numbered(2))
    for accepted in (first, second):
        aliyun_fake.report(accepted.provider_id or "", delivered=True)
    pending = [
        SentSms(1, first.provider_id or "", PHONE, now),
        SentSms(2, second.provider_id or "", PHONE, now),
    ]
    aliyun_fake.next_codes = ["Throttling.User"]
    assert await aliyun.poll_receipts(pending) == []  # the rest waits for the next poll
    aliyun_fake.next_codes = ["isv.MOBILE_NUMBER_ILLEGAL"]
    assert [r.provider_id for r in await aliyun.poll_receipts(pending)] == [second.provider_id]
    await aliyun_fake.stop()
    assert await aliyun.poll_receipts(pending) == []  # unreachable: no exception, nothing known


async def test_tencent_pulls_the_status_queue(
    tencent: TencentSms, tencent_fake: TencentFake
) -> None:
    now = datetime.now(UTC)
    delivered = await tencent.send(numbered(7))
    failed = await tencent.send(numbered(8, "+8613900000001"))
    pending = [SentSms(7, delivered.provider_id or "", PHONE, now)]
    assert await tencent.poll_receipts(pending) == []  # nothing reported yet
    tencent_fake.report(delivered.provider_id or "", delivered=True)
    tencent_fake.report(failed.provider_id or "", delivered=False)
    tencent_fake.report("2645:not-ours", delivered=True)  # another system on the same app
    receipts = await tencent.poll_receipts(pending)
    assert [(r.provider_id, r.delivered, r.status) for r in receipts] == [
        (delivered.provider_id, True, "DELIVRD"),
        (failed.provider_id, False, "UNDELIV"),
        ("2645:not-ours", True, "DELIVRD"),
    ]
    assert receipts[0].raw["SessionContext"] == "7"
    assert isinstance(receipts[0].raw["UserReceiveTime"], int)
    assert tencent_fake.refusals == []
    [pull] = [
        r for r in tencent_fake.received if r["headers"]["X-TC-Action"] == "PullSmsSendStatus"
    ][-1:]
    assert pull["body"] == {"SmsSdkAppId": "1400000001", "Limit": 100}
    assert await tencent.poll_receipts(pending) == []  # each status is handed out once
    pulls = tencent_fake.pulls
    assert await tencent.poll_receipts([]) == []  # nothing waits: nothing asked
    assert tencent_fake.pulls == pulls


async def test_tencent_pulls_until_the_queue_is_empty_and_survives_refusals(
    tencent: TencentSms, tencent_fake: TencentFake
) -> None:
    pending = [SentSms(1, "2645:1", PHONE, datetime.now(UTC))]
    for i in range(150):
        tencent_fake.report(f"2645:{i}", delivered=True)
    assert len(await tencent.poll_receipts(pending)) == 150
    assert tencent_fake.pulls == 2
    tencent_fake.report("2645:x", delivered=True)
    tencent_fake.next_codes = ["Error:FailedOperation.PermissionDenied"]  # pulling not enabled
    assert await tencent.poll_receipts(pending) == []
    assert [r.provider_id for r in await tencent.poll_receipts(pending)] == ["2645:x"]


async def test_polling_logs_no_phone(
    aliyun: AliyunSms,
    aliyun_fake: AliyunFake,
    tencent: TencentSms,
    tencent_fake: TencentFake,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    accepted = await aliyun.send(numbered(1))
    aliyun_fake.next_codes = ["isv.MOBILE_NUMBER_ILLEGAL"]
    await aliyun.poll_receipts([SentSms(1, accepted.provider_id or "", PHONE, datetime.now(UTC))])
    sent = await tencent.send(numbered(2))
    tencent_fake.report(sent.provider_id or "", delivered=True)
    await tencent.poll_receipts([SentSms(2, sent.provider_id or "", PHONE, datetime.now(UTC))])
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "138****5678" in logged
    assert PHONE not in logged


def test_receipt_settings() -> None:
    with env(LINLI_SMS_POLL_SECONDS="15", LINLI_SMS_CALLBACK_TOKEN="k" * 24):
        settings = load_settings()
    assert settings.sms_receipt_poll_seconds == 15
    assert settings.sms_callback_token == "k" * 24
    assert "callback_token" not in settings.sms_options
    assert "poll_seconds" not in settings.sms_options
    for weak in ("short", "has/slash-in-it-0123456789", "空白" * 10):
        with env(LINLI_SMS_CALLBACK_TOKEN=weak), pytest.raises(ValueError):
            load_settings()
    with env(LINLI_SMS_CALLBACK_TOKEN=""):
        assert load_settings().sms_callback_token is None
