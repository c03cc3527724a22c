"""Tencent Cloud (腾讯云) SMS: SendSms, PullSmsSendStatus."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypedDict
from urllib.parse import urlsplit

import httpx

from server.lib.masking import mask_phone
from server.notify.channels.base import (
    Accepted,
    DeliveryReceipt,
    Outgoing,
    PermanentFailure,
    SentSms,
    TemporaryFailure,
)
from server.notify.channels.sms.common import e164, log, sms_target, temporary_http

__all__ = ["TencentSms", "TencentTemplate", "tc3_authorization", "tc3_signature"]


class TencentTemplate(TypedDict):
    """An approved Tencent template: its id and our parameter names in its {1}, {2}… order."""

    id: str
    params: list[str]


def tc3_signature(secret_key: str, date: str, service: str, string_to_sign: str) -> str:
    """TC3-HMAC-SHA256: HMAC chain over date, service, ``tc3_request``, then the string to sign."""

    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

    secret_date = sign(f"TC3{secret_key}".encode(), date)
    secret_service = sign(secret_date, service)
    secret_signing = sign(secret_service, "tc3_request")
    return hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def tc3_authorization(
    secret_id: str,
    secret_key: str,
    *,
    service: str,
    headers: Mapping[str, str],
    payload: bytes,
    timestamp: int,
    signed: Iterable[str] = ("content-type", "host", "x-tc-action"),
) -> str:
    """The ``Authorization`` header of a POST to ``/`` with a JSON body."""
    lower = {k.lower(): v for k, v in headers.items()}
    names = sorted(h.lower() for h in signed)
    canonical_headers = "".join(f"{n}:{lower[n].strip().lower()}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join(
        [
            "POST",
            "/",
            "",
            canonical_headers,
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    scope = f"{date}/{service}/tc3_request"
    string_to_sign = "\n".join(
        [
            "TC3-HMAC-SHA256",
            str(timestamp),
            scope,
            hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
        ]
    )
    signature = tc3_signature(secret_key, date, service, string_to_sign)
    return (
        f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}"
    )


def _tencent_temporary(code: str) -> bool:
    return (
        code.startswith(
            ("LimitExceeded", "RequestLimitExceeded", "InternalError", "ResourceUnavailable")
        )
        or code == "FailedOperation.InsufficientBalanceInSmsPackage"
    )


class TencentSms:
    """Tencent Cloud (腾讯云) SMS ``SendSms``, API 2021-01-11, signed with TC3-HMAC-SHA256.

    ``templates`` maps our template keys to an approved template's id and the
    order of its positional parameters, e.g.
    ``{"wish.approved": {"id": "123456", "params": ["title"]}}``.
    """

    name = "sms"
    SERVICE = "sms"
    API_VERSION = "2021-01-11"
    CONTENT_TYPE = "application/json; charset=utf-8"

    def __init__(
        self,
        secret_id: str,
        secret_key: str,
        sdk_app_id: str,
        sign_name: str,
        templates: Mapping[str, TencentTemplate],
        *,
        region: str = "ap-guangzhou",
        endpoint: str = "https://sms.tencentcloudapi.com",
        timeout: float = 10.0,
    ) -> None:
        for key, template in templates.items():
            if (
                not isinstance(template, Mapping)
                or "id" not in template
                or "params" not in template
            ):
                raise ValueError(f"Tencent template {key!r} needs an id and a params list")
        self.secret_id = secret_id
        self._secret = secret_key
        self.sdk_app_id = sdk_app_id
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.region = region
        self.endpoint = endpoint.rstrip("/") + "/"
        self.host = urlsplit(self.endpoint).netloc
        self._client = httpx.AsyncClient(timeout=timeout)

    def request(self, message: Outgoing, *, timestamp: int) -> tuple[dict[str, str], bytes]:
        """Headers and body of the SendSms call for a message."""
        template = self.templates.get(message.template)
        if template is None:
            raise PermanentFailure(f"no Tencent template configured for {message.template}")
        missing = [p for p in template["params"] if p not in message.params]
        if missing:
            raise PermanentFailure(f"template parameters missing: {', '.join(missing)}")
        body = {
            "PhoneNumberSet": ["+" + e164(sms_target(message).phone)],
            "SmsSdkAppId": self.sdk_app_id,
            "SignName": self.sign_name,
            "TemplateId": str(template["id"]),
            "TemplateParamSet": [str(message.params[p]) for p in template["params"]],
            "SessionContext": str(message.id),
        }
        return self.signed("SendSms", body, timestamp=timestamp)

    def signed(
        self, action: str, body: Mapping[str, Any], *, timestamp: int
    ) -> tuple[dict[str, str], bytes]:
        """Headers (with the TC3 ``Authorization``) and JSON payload of one API call."""
        payload = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {
            "Content-Type": self.CONTENT_TYPE,
            "Host": self.host,
            "X-TC-Action": action,
            "X-TC-Version": self.API_VERSION,
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.region,
        }
        headers["Authorization"] = tc3_authorization(
            self.secret_id,
            self._secret,
            service=self.SERVICE,
            headers=headers,
            payload=payload,
            timestamp=timestamp,
        )
        return headers, payload

    async def _call(self, headers: dict[str, str], payload: bytes) -> dict[str, Any]:
        """The ``Response`` object of a call (it may hold an ``Error``)."""
        try:
            response = await self._client.post(self.endpoint, content=payload, headers=headers)
        except httpx.HTTPError as exc:
            raise temporary_http(exc) from None
        if response.status_code >= 500:
            raise TemporaryFailure(f"Tencent answered HTTP {response.status_code}")
        try:
            answer = response.json().get("Response", {})
        except (ValueError, AttributeError):
            answer = None
        if not isinstance(answer, dict):
            raise PermanentFailure(
                f"Tencent answered HTTP {response.status_code} without a Response"
            )
        return answer

    async def send(self, message: Outgoing) -> Accepted:
        headers, payload = self.request(message, timestamp=int(time.time()))
        masked = mask_phone(sms_target(message).phone)
        answer = await self._call(headers, payload)
        error = answer.get("Error")
        if isinstance(error, dict):
            code = str(error.get("Code", ""))
            log.info("Tencent refused SMS to %s: %s", masked, code)
            if _tencent_temporary(code):
                raise TemporaryFailure(f"Tencent answered {code}")
            raise PermanentFailure(f"Tencent answered {code}")
        statuses = answer.get("SendStatusSet") or [{}]
        status = statuses[0] if isinstance(statuses[0], dict) else {}
        code = str(status.get("Code", ""))
        if code == "Ok":
            serial = str(status.get("SerialNo") or "") or None
            log.info("SMS to %s accepted by Tencent as %s", masked, serial)
            return Accepted(provider_id=serial)
        log.info("Tencent refused SMS to %s: %s", masked, code)
        if _tencent_temporary(code):
            raise TemporaryFailure(f"Tencent answered {code}")
        raise PermanentFailure(f"Tencent answered {code or 'no status'}")

    # --- delivery reports: PullSmsSendStatus -------------------------------------------

    #: Statuses asked for per call (the API's maximum) and calls per poll at most.
    PULL_LIMIT = 100
    PULL_ROUNDS = 10

    async def poll_receipts(self, pending: Sequence[SentSms]) -> list[DeliveryReceipt]:
        """Drains ``PullSmsSendStatus`` for this SdkAppId.

        Tencent hands each status out once, for every message of the application
        (not per message asked about), so ``pending`` only says whether to ask at
        all; statuses of messages that are not ours come back too and are ignored
        by the caller. Several pollers may share an application: each status goes
        to one of them, and all record into the same outbox.
        """
        if not pending:
            return []
        receipts: list[DeliveryReceipt] = []
        body = {"SmsSdkAppId": self.sdk_app_id, "Limit": self.PULL_LIMIT}
        for _ in range(self.PULL_ROUNDS):
            headers, payload = self.signed("PullSmsSendStatus", body, timestamp=int(time.time()))
            try:
                answer = await self._call(headers, payload)
            except (TemporaryFailure, PermanentFailure) as exc:
                log.warning("Tencent PullSmsSendStatus failed (%s); trying at the next poll", exc)
                break
            error = answer.get("Error")
            if isinstance(error, dict):
                log.warning(
                    "Tencent PullSmsSendStatus refused: %s; trying at the next poll",
                    error.get("Code", ""),
                )
                break
            statuses = answer.get("PullSmsSendStatusSet") or []
            if not isinstance(statuses, list):
                break
            for status in statuses:
                receipt = _tencent_receipt(status) if isinstance(status, dict) else None
                if receipt is not None:
                    receipts.append(receipt)
            if len(statuses) < self.PULL_LIMIT:
                break
        return receipts

    async def close(self) -> None:
        await self._client.aclose()


def _tencent_receipt(status: Mapping[str, Any]) -> DeliveryReceipt | None:
    serial = str(status.get("SerialNo") or "")
    report = str(status.get("ReportStatus") or "")
    if not serial or report not in ("SUCCESS", "FAIL"):
        return None
    description = str(status.get("Description") or "")
    raw = {
        "source": "PullSmsSendStatus",
        "ReportStatus": report,
        "Description": description,
        "UserReceiveTime": status.get("UserReceiveTime"),
        "SessionContext": status.get("SessionContext"),
    }  # never PhoneNumber or SubscriberNumber
    return DeliveryReceipt(serial, report == "SUCCESS", description or report, raw)
