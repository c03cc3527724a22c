"""Local stand-ins for Aliyun Dysmsapi and Tencent Cloud SMS that check signatures for real.

Each fake verifies requests with its *own* implementation of the provider's
published signing algorithm (written from the documentation, sharing no code
with ``server.notify.channels.sms``), checks the parameters the real API
requires, and answers in the provider's response format: success, or whatever
error code it is told to give next. Both record what they received.

Both also keep the messages they accepted and answer the provider's delivery
status query about them: ``QuerySendDetails`` (Aliyun: per number, send date and
BizId; SendStatus 1 waiting, 2 failed, 3 delivered) and ``PullSmsSendStatus``
(Tencent: a queue of reports for the whole application, each handed out once).
A test decides the outcome with :meth:`AliyunFake.report` / :meth:`TencentFake.report`.

* :class:`AliyunFake` — RPC-style API, signature v1 (HMAC-SHA1 over the
  percent-encoded, sorted query; key = AccessKeySecret + "&"), GET or POST form.
* :class:`TencentFake` — API 3.0, TC3-HMAC-SHA256 (canonical request → string to
  sign → HMAC chain over date, service and "tc3_request").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from zoneinfo import ZoneInfo

from aiohttp import web

__all__ = [
    "AliyunFake",
    "SentByFake",
    "TencentFake",
    "aliyun_percent_encode",
    "aliyun_string_to_sign",
    "tc3_canonical_request",
    "tc3_sign",
]


# --- Aliyun: the documented algorithm --------------------------------------------------------

_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")


def aliyun_percent_encode(text: str) -> str:
    """UTF-8, then every byte outside A-Z a-z 0-9 - _ . ~ as %XX in upper case."""
    return "".join(
        chr(byte) if byte in _UNRESERVED else f"%{byte:02X}" for byte in text.encode("utf-8")
    )


def aliyun_string_to_sign(method: str, params: Mapping[str, str]) -> str:
    pairs = sorted(
        (aliyun_percent_encode(k), aliyun_percent_encode(v))
        for k, v in params.items()
        if k != "Signature"
    )
    canonical = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join([method.upper(), aliyun_percent_encode("/"), aliyun_percent_encode(canonical)])


def aliyun_sign(method: str, params: Mapping[str, str], secret: str) -> str:
    mac = hmac.new((secret + "&").encode("utf-8"), digestmod=hashlib.sha1)
    mac.update(aliyun_string_to_sign(method, params).encode("utf-8"))
    return base64.b64encode(mac.digest()).decode("ascii")


# --- Tencent: the documented algorithm -------------------------------------------------------


def tc3_canonical_request(
    method: str, headers: Mapping[str, str], signed_headers: list[str], payload: bytes
) -> str:
    """POST, "/", "" (no query), one ``name:value`` line per signed header, their names, hash."""
    by_name = {name.lower(): value for name, value in headers.items()}
    lines = "".join(f"{h}:{by_name.get(h, '').strip().lower()}\n" for h in signed_headers)
    return "\n".join(
        [method, "/", "", lines, ";".join(signed_headers), hashlib.sha256(payload).hexdigest()]
    )


def tc3_sign(
    secret_key: str, timestamp: int, service: str, canonical_request: str
) -> tuple[str, str]:
    """(string to sign, hex signature)."""
    date = datetime.fromtimestamp(timestamp, tz=UTC).date().isoformat()
    string_to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n"
        + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    )
    key = ("TC3" + secret_key).encode("utf-8")
    for part in (date, service, "tc3_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return string_to_sign, hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# --- the servers ---------------------------------------------------------------------------

CHINA = ZoneInfo("Asia/Shanghai")


@dataclass
class SentByFake:
    """A message a fake accepted, and what its delivery report says so far."""

    provider_id: str
    phone: str  # as the request gave it
    out_id: str  # Aliyun OutId / Tencent SessionContext
    template: str
    sent_at: datetime
    status: int = 1  # Aliyun's SendStatus: 1 waiting, 2 failed, 3 delivered
    code: str = ""  # the carrier's status (ErrCode / Description)
    received_at: datetime | None = None


class _Fake:
    def __init__(self) -> None:
        self.port = 0
        self.received: list[dict[str, Any]] = []
        self.refusals: list[str] = []
        self.next_codes: list[str] = []  # answer these (one per request) instead of success
        self.sent: list[SentByFake] = []  # every message accepted, with its delivery status
        self._runner: web.AppRunner | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def routes(self, app: web.Application) -> None:
        raise NotImplementedError

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = int(getattr(server, "sockets", [])[0].getsockname()[1])

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class AliyunFake(_Fake):
    """Dysmsapi ``SendSms`` 2017-05-25.

    ``next_codes`` entries are Aliyun codes (``isv.BUSINESS_LIMIT_CONTROL`` …)
    answered with HTTP 200 as Aliyun does for business errors, or ``"HTTP 503"``.
    """

    def __init__(
        self,
        keys: Mapping[str, str],
        sign_names: set[str],
        templates: Mapping[str, list[str]],  # template code -> its variable names
    ) -> None:
        super().__init__()
        self.keys = dict(keys)
        self.sign_names = set(sign_names)
        self.sequence = 1000
        self.templates = dict(templates)
        self._nonces: set[str] = set()

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/", self._handle)

    def _error(self, status: int, code: str, message: str) -> web.Response:
        self.refusals.append(code)
        return web.json_response(
            {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message},
            status=status,
        )

    async def _handle(self, request: web.Request) -> web.Response:
        params: dict[str, str] = dict(request.query)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.post()).items()})
        elif request.method != "GET":
            return self._error(405, "UnsupportedHTTPMethod", request.method)
        self.received.append(dict(params))

        common = {
            "AccessKeyId": None,
            "Action": None,
            "Format": None,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": None,
            "SignatureVersion": "1.0",
            "Timestamp": None,
            "Version": "2017-05-25",
            "Signature": None,
        }
        for name, expected in common.items():
            if not params.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory")
            if expected is not None and params[name] != expected:
                return self._error(400, "InvalidParameter", f"{name} must be {expected}")
        try:
            sent_at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=UTC
            )
        except ValueError:
            return self._error(400, "InvalidTimeStamp.Format", "Timestamp is not ISO 8601 UTC")
        if abs(time.time() - sent_at.timestamp()) > 15 * 60:
            return self._error(400, "InvalidTimeStamp.Expired", "Timestamp too far off")
        secret = self.keys.get(params["AccessKeyId"])
        if secret is None:
            return self._error(
                404, "InvalidAccessKeyId.NotFound", "Specified access key is not found."
            )
        expected_signature = aliyun_sign(request.method, params, secret)
        if not hmac.compare_digest(expected_signature, params["Signature"]):
            return self._error(
                400,
                "SignatureDoesNotMatch",
                "Specified signature is not matched with our calculation. server string to sign is:"
                + aliyun_string_to_sign(request.method, params),
            )
        if params["SignatureNonce"] in self._nonces:
            return self._error(
                400, "SignatureNonceUsed", "Specified signature nonce was used already."
            )
        self._nonces.add(params["SignatureNonce"])

        if params["Action"] == "QuerySendDetails":
            return self._query_send_details(params)
        if params["Action"] != "SendSms":
            return self._error(400, "InvalidAction.NotFound", "Specified api is not found")
        for name in ("PhoneNumbers", "SignName", "TemplateCode"):
            if not params.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory")
        if not all(p.isdigit() for p in params["PhoneNumbers"].split(",")):
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number")
        if params["SignName"] not in self.sign_names:
            return self._error(200, "isv.SMS_SIGNATURE_ILLEGAL", "unknown sign name")
        variables = self.templates.get(params["TemplateCode"])
        if variables is None:
            return self._error(200, "isv.SMS_TEMPLATE_ILLEGAL", "unknown template")
        try:
            values = json.loads(params.get("TemplateParam") or "{}")
        except ValueError:
            return self._error(200, "isv.INVALID_JSON_PARAM", "TemplateParam is not JSON")
        if not isinstance(values, dict) or set(variables) - set(values):
            return self._error(200, "isv.TEMPLATE_MISSING_PARAMETERS", "template variables missing")

        if self.next_codes:
            code = self.next_codes.pop(0)
            if code.startswith("HTTP "):
                self.refusals.append(code)
                return web.Response(status=int(code[5:]), text="Service Unavailable")
            return self._error(200, code, "told to")
        biz_id = f"{secrets.randbelow(10**15):015d}^0"
        for phone in params["PhoneNumbers"].split(","):
            self.sent.append(
                SentByFake(
                    biz_id,
                    phone,
                    params.get("OutId", ""),
                    params["TemplateCode"],
                    datetime.now(UTC),
                )
            )
        return web.json_response(
            {"RequestId": str(uuid.uuid4()).upper(), "Code": "OK", "Message": "OK", "BizId": biz_id}
        )

    def sms_up(self, phone: str, text: str, *, dest_code: str = "") -> list[dict[str, Any]]:
        """What SmsUp's HTTP batch push posts for an SMS a person sent to the signature's number
        (the documented fields; the number as 11 digits, the time in China time)."""
        self.sequence += 1
        return [
            {
                "phone_number": phone,
                "send_time": datetime.now(CHINA).strftime("%Y-%m-%d %H:%M:%S"),
                "content": text,
                "sign_name": next(iter(self.sign_names), ""),
                "dest_code": dest_code,
                "sequence_id": self.sequence,
            }
        ]

    def report(self, biz_id: str, delivered: bool, code: str | None = None) -> None:
        """The carrier's report on a message arrives (QuerySendDetails will say so)."""
        [message] = [m for m in self.sent if m.provider_id == biz_id]
        message.status = 3 if delivered else 2
        message.code = code or ("DELIVERED" if delivered else "MK:0001")
        message.received_at = datetime.now(UTC)

    def _query_send_details(self, params: Mapping[str, str]) -> web.Response:
        """QuerySendDetails 2017-05-25: one number, one day (yyyyMMdd, China time), optional BizId."""
        for name in ("PhoneNumber", "SendDate", "PageSize", "CurrentPage"):
            if not params.get(name):
                return self._error(400, "MissingParameter", f"{name} is mandatory")
        phone, day = params["PhoneNumber"], params["SendDate"]
        if not phone.isdigit() or "," in phone:
            return self._error(200, "isv.MOBILE_NUMBER_ILLEGAL", "one mobile number only")
        try:
            wanted = datetime.strptime(day, "%Y%m%d").date()
            size, page = int(params["PageSize"]), int(params["CurrentPage"])
        except ValueError:
            return self._error(400, "InvalidParameter", "SendDate, PageSize or CurrentPage")
        if not 1 <= size <= 50 or page < 1:
            return self._error(400, "InvalidParameter", "PageSize is 1 to 50")
        if (datetime.now(CHINA).date() - wanted).days > 30:
            return self._error(200, "isv.OUT_OF_SERVICE_DATE", "only the last 30 days")
        if self.next_codes:
            code = self.next_codes.pop(0)
            if code.startswith("HTTP "):
                self.refusals.append(code)
                return web.Response(status=int(code[5:]), text="Service Unavailable")
            return self._error(200, code, "told to")
        found = [
            m
            for m in self.sent
            if m.phone == phone
            and m.sent_at.astimezone(CHINA).date() == wanted
            and (not params.get("BizId") or m.provider_id == params["BizId"])
        ]
        shown = found[(page - 1) * size : page * size]

        def local(moment: datetime | None) -> str | None:
            return moment.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S") if moment else None

        return web.json_response(
            {
                "RequestId": str(uuid.uuid4()).upper(),
                "Code": "OK",
                "Message": "OK",
                "TotalCount": str(len(found)),
                "SmsSendDetailDTOs": {
                    "SmsSendDetailDTO": [
                        {
                            "PhoneNum": m.phone,
                            "SendStatus": m.status,
                            "ErrCode": m.code,
                            "TemplateCode": m.template,
                            "Content": "【邻里】…",
                            "SendDate": local(m.sent_at),
                            "ReceiveDate": local(m.received_at),
                            "OutId": m.out_id,
                        }
                        for m in shown
                    ]
                },
            }
        )


class TencentFake(_Fake):
    """Tencent Cloud SMS ``SendSms`` 2021-01-11.

    ``next_codes`` entries answer one request each: a per-number status code
    (``LimitExceeded.PhoneNumberThirtySecondLimit``…) inside ``SendStatusSet``, or,
    prefixed with ``"Error:"``, a request-level ``Response.Error`` code.
    """

    SERVICE = "sms"

    def __init__(
        self,
        keys: Mapping[str, str],
        sdk_app_id: str,
        sign_names: set[str],
        templates: Mapping[str, int],  # template id -> number of parameters
    ) -> None:
        super().__init__()
        self.keys = dict(keys)
        self.sdk_app_id = sdk_app_id
        self.sign_names = set(sign_names)
        self.templates = dict(templates)
        self.reports: list[SentByFake] = []  # not yet pulled
        self.pulls = 0

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/", self._handle)

    def _error(self, code: str, message: str) -> web.Response:
        self.refusals.append(code)
        return web.json_response(
            {
                "Response": {
                    "Error": {"Code": code, "Message": message},
                    "RequestId": str(uuid.uuid4()),
                }
            }
        )

    def _verify(self, request: web.Request, payload: bytes) -> str | None:
        """None if the request is signed correctly, else the error code."""
        auth = request.headers.get("Authorization", "")
        algorithm, _, rest = auth.partition(" ")
        if algorithm != "TC3-HMAC-SHA256":
            return "AuthFailure.SignatureFailure"
        fields: dict[str, str] = {}
        for item in rest.split(","):
            name, _, value = item.strip().partition("=")
            fields[name] = value
        try:
            secret_id, date, service, terminator = fields["Credential"].split("/")
            signed_headers = fields["SignedHeaders"].split(";")
            signature = fields["Signature"]
            timestamp = int(request.headers["X-TC-Timestamp"])
        except (KeyError, ValueError):
            return "AuthFailure.SignatureFailure"
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        secret = self.keys.get(secret_id)
        if secret is None:
            return "AuthFailure.SecretIdNotFound"
        utc_date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
        if (date, service, terminator) != (utc_date, self.SERVICE, "tc3_request"):
            return "AuthFailure.SignatureFailure"
        if "content-type" not in signed_headers or "host" not in signed_headers:
            return "AuthFailure.SignatureFailure"
        if signed_headers != sorted(signed_headers):
            return "AuthFailure.SignatureFailure"
        canonical = tc3_canonical_request(request.method, request.headers, signed_headers, payload)
        _, expected = tc3_sign(secret, timestamp, service, canonical)
        if not hmac.compare_digest(expected, signature):
            return "AuthFailure.SignatureFailure"
        return None

    async def _handle(self, request: web.Request) -> web.Response:
        payload = await request.read()
        record: dict[str, Any] = {"headers": dict(request.headers), "payload": payload}
        self.received.append(record)
        if not request.headers.get("Content-Type", "").startswith("application/json"):
            return self._error("InvalidParameter", "Content-Type must be application/json")
        action = request.headers.get("X-TC-Action")
        if action not in ("SendSms", "PullSmsSendStatus"):
            return self._error("InvalidAction", "unknown action")
        if request.headers.get("X-TC-Version") != "2021-01-11":
            return self._error("NoSuchVersion", "unknown version")
        if not request.headers.get("X-TC-Region"):
            return self._error("MissingParameter", "X-TC-Region")
        problem = self._verify(request, payload)
        if problem is not None:
            return self._error(problem, "signature check failed")
        try:
            body = json.loads(payload)
        except ValueError:
            return self._error("InvalidParameter", "body is not JSON")
        record["body"] = body
        if action == "PullSmsSendStatus":
            return self._pull_send_status(body)
        phones = body.get("PhoneNumberSet")
        if not isinstance(phones, list) or not phones:
            return self._error("MissingParameter", "PhoneNumberSet")
        if not all(isinstance(p, str) and p.startswith("+") and p[1:].isdigit() for p in phones):
            return self._error(
                "InvalidParameterValue.IncorrectPhoneNumber", "use +<country><number>"
            )
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "unknown SmsSdkAppId")
        if body.get("SignName") not in self.sign_names:
            return self._error("FailedOperation.SignatureIncorrectOrUnapproved", "unknown SignName")
        count = self.templates.get(str(body.get("TemplateId")))
        if count is None:
            return self._error("FailedOperation.TemplateIncorrectOrUnapproved", "unknown template")
        values = body.get("TemplateParamSet", [])
        if not isinstance(values, list) or len(values) != count:
            return self._error("InvalidParameterValue.TemplateParameterFormatError", "param count")

        code = self.next_codes.pop(0) if self.next_codes else "Ok"
        if code.startswith("Error:"):
            return self._error(code[6:], "told to")
        if code != "Ok":
            self.refusals.append(code)
        serials = [
            f"2645:{secrets.randbelow(10**12)}{i}" if code == "Ok" else ""
            for i in range(len(phones))
        ]
        context = str(body.get("SessionContext", ""))
        for serial, phone in zip(serials, phones, strict=True):
            if serial:
                self.sent.append(
                    SentByFake(serial, phone, context, str(body["TemplateId"]), datetime.now(UTC))
                )
        return web.json_response(
            {
                "Response": {
                    "SendStatusSet": [
                        {
                            "SerialNo": serial,
                            "PhoneNumber": phone,
                            "Fee": 1 if code == "Ok" else 0,
                            "SessionContext": context,
                            "Code": code,
                            "Message": "send success" if code == "Ok" else "told to",
                            "IsoCode": "CN" if phone.startswith("+86") else "",
                        }
                        for serial, phone in zip(serials, phones, strict=True)
                    ],
                    "RequestId": str(uuid.uuid4()),
                }
            }
        )

    def sms_reply(self, phone: str, text: str, *, nationcode: str = "86") -> dict[str, Any]:
        """What the SMS reply callback posts (one object per reply, the documented fields)."""
        return {
            "extend": "",
            "mobile": phone,
            "nationcode": nationcode,
            "sign": next(iter(self.sign_names), ""),
            "text": text,
            "time": int(time.time()),
        }

    def report(self, serial: str, delivered: bool, code: str | None = None) -> None:
        """The carrier's report on a message arrives: queued for PullSmsSendStatus.

        A serial the fake never gave out is reported too (another system on the
        same application), as Tencent would.
        """
        known = [m for m in self.sent if m.provider_id == serial]
        message = (
            known[0] if known else SentByFake(serial, "+8613900000000", "", "", datetime.now(UTC))
        )
        message.status = 3 if delivered else 2
        message.code = code or ("DELIVRD" if delivered else "UNDELIV")
        message.received_at = datetime.now(UTC)
        self.reports.append(message)

    def _pull_send_status(self, body: Mapping[str, Any]) -> web.Response:
        """PullSmsSendStatus 2021-01-11: up to Limit reports, each handed out only once."""
        if body.get("SmsSdkAppId") != self.sdk_app_id:
            return self._error("FailedOperation.SmsSdkAppIdVerifyFail", "unknown SmsSdkAppId")
        limit = body.get("Limit")
        if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 100:
            return self._error("InvalidParameterValue", "Limit is 1 to 100")
        if self.next_codes:
            code = self.next_codes.pop(0)
            return self._error(code.removeprefix("Error:"), "told to")
        taken, self.reports = self.reports[:limit], self.reports[limit:]
        self.pulls += 1
        return web.json_response(
            {
                "Response": {
                    "PullSmsSendStatusSet": [
                        {
                            "UserReceiveTime": int(m.received_at.timestamp())
                            if m.received_at
                            else None,
                            "CountryCode": "86",
                            "SubscriberNumber": m.phone.removeprefix("+86"),
                            "PhoneNumber": m.phone,
                            "SerialNo": m.provider_id,
                            "ReportStatus": "SUCCESS" if m.status == 3 else "FAIL",
                            "Description": m.code,
                            "SessionContext": m.out_id,
                        }
                        for m in taken
                    ],
                    "RequestId": str(uuid.uuid4()),
                }
            }
        )
