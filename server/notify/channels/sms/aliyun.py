"""Aliyun (阿里云) Dysmsapi: SendSms, QuerySendDetails."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

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
from server.notify.channels.sms.common import (
    MAINLAND_MOBILE,
    e164,
    log,
    sms_target,
    temporary_http,
)

__all__ = ["AliyunSms", "aliyun_signature"]


def _pop_encode(value: str) -> str:
    # RFC 3986 with UTF-8: only A-Z a-z 0-9 - _ . ~ stay as they are (space → %20, * → %2A).
    return quote(value, safe="")


def aliyun_signature(params: Mapping[str, str], secret: str, method: str = "POST") -> str:
    """The RPC (v1, HMAC-SHA1) ``Signature`` of a request's parameters."""
    canonical = "&".join(
        f"{_pop_encode(k)}={_pop_encode(v)}" for k, v in sorted(params.items()) if k != "Signature"
    )
    string_to_sign = f"{method}&{_pop_encode('/')}&{_pop_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


# Codes worth another try later; every other failure is about this message or our setup.
_ALIYUN_TEMPORARY = {
    "isv.BUSINESS_LIMIT_CONTROL",  # per-number rate limit
    "isv.DAY_LIMIT_CONTROL",  # daily quota reached
    "isv.MONTH_LIMIT_CONTROL",  # monthly quota reached
    "isv.AMOUNT_NOT_ENOUGH",  # account out of credit: fixed by a top-up, not by the message
    "isv.OUT_OF_SERVICE",  # account suspended for arrears
    "SignatureNonceUsed",
    "ServiceUnavailable",
    "InternalError",
}


class AliyunSms:
    """Aliyun (阿里云) Dysmsapi ``SendSms``, API 2017-05-25, RPC signature v1.

    ``templates`` maps our template keys (``"wish.approved"``) to approved
    template codes (``"SMS_123456789"``); the template variables are our
    parameter names (``${title}``).
    """

    name = "sms"
    API_VERSION = "2017-05-25"

    def __init__(
        self,
        access_key_id: str,
        access_key_secret: str,
        sign_name: str,
        templates: Mapping[str, str],
        *,
        endpoint: str = "https://dysmsapi.aliyuncs.com",
        region: str = "cn-hangzhou",
        timeout: float = 10.0,
    ) -> None:
        self.access_key_id = access_key_id
        self._secret = access_key_secret
        self.sign_name = sign_name
        self.templates = dict(templates)
        self.endpoint = endpoint.rstrip("/") + "/"
        self.region = region
        self._client = httpx.AsyncClient(timeout=timeout)

    @staticmethod
    def phone_number(phone: str) -> str:
        """Mainland numbers as 11 digits, others with their country code (no ``+``)."""
        number = e164(phone)
        return (
            number[2:] if number.startswith("86") and MAINLAND_MOBILE.match(number[2:]) else number
        )

    def signed_params(
        self,
        action: str,
        params: Mapping[str, str],
        *,
        nonce: str | None = None,
        timestamp: str | None = None,
    ) -> dict[str, str]:
        """The common parameters of an RPC call, ``params``, and the ``Signature`` over all."""
        signed = {
            "AccessKeyId": self.access_key_id,
            "Action": action,
            "Format": "JSON",
            "RegionId": self.region,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "Timestamp": timestamp or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": self.API_VERSION,
            **params,
        }
        signed["Signature"] = aliyun_signature(signed, self._secret, "POST")
        return signed

    def request_params(self, message: Outgoing, *, nonce: str, timestamp: str) -> dict[str, str]:
        code = self.templates.get(message.template)
        if code is None:
            raise PermanentFailure(f"no Aliyun template code configured for {message.template}")
        params = {
            "PhoneNumbers": self.phone_number(sms_target(message).phone),
            "SignName": self.sign_name,
            "TemplateCode": code,
            "OutId": str(message.id),
        }
        if message.params:
            params["TemplateParam"] = json.dumps(
                message.params, ensure_ascii=False, separators=(",", ":")
            )
        return self.signed_params("SendSms", params, nonce=nonce, timestamp=timestamp)

    async def _call(self, params: Mapping[str, str]) -> dict[str, Any]:
        """POST one signed RPC call; its answer when ``Code`` is OK, else the failure to raise."""
        try:
            response = await self._client.post(self.endpoint, data=params)
        except httpx.HTTPError as exc:
            raise temporary_http(exc) from None
        try:
            answer = response.json()
        except ValueError:
            answer = None
        code = str(answer.get("Code", "")) if isinstance(answer, dict) else ""
        if response.status_code == 200 and code == "OK" and isinstance(answer, dict):
            return answer
        reason = f"Aliyun answered HTTP {response.status_code} {code}".strip()
        if (
            code in _ALIYUN_TEMPORARY
            or code.startswith("Throttling")
            or response.status_code >= 500
        ):
            raise TemporaryFailure(reason)
        raise PermanentFailure(reason)

    async def send(self, message: Outgoing) -> Accepted:
        params = self.request_params(
            message,
            nonce=uuid.uuid4().hex,
            timestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )
        masked = mask_phone(sms_target(message).phone)
        try:
            answer = await self._call(params)
        except (TemporaryFailure, PermanentFailure) as exc:
            log.info("Aliyun refused SMS to %s: %s", masked, exc)
            raise
        log.info("SMS to %s accepted by Aliyun as %s", masked, answer.get("BizId"))
        return Accepted(provider_id=str(answer.get("BizId") or "") or None)

    # --- delivery reports: QuerySendDetails --------------------------------------------

    async def query_send_details(
        self, phone: str, send_date: str, biz_id: str
    ) -> list[dict[str, Any]]:
        """The ``SmsSendDetailDTO`` records of one message (TemporaryFailure, PermanentFailure)."""
        params = self.signed_params(
            "QuerySendDetails",
            {
                "PhoneNumber": self.phone_number(phone),
                "SendDate": send_date,
                "BizId": biz_id,
                "PageSize": "10",
                "CurrentPage": "1",
            },
        )
        answer = await self._call(params)
        box = answer.get("SmsSendDetailDTOs")
        records = box.get("SmsSendDetailDTO") if isinstance(box, dict) else None
        return [r for r in records if isinstance(r, dict)] if isinstance(records, list) else []

    async def poll_receipts(self, pending: Sequence[SentSms]) -> list[DeliveryReceipt]:
        """Asks ``QuerySendDetails`` about each message (by number, send date and BizId).

        ``SendStatus`` 3 is delivered, 2 failed, 1 still waiting for the carrier's
        report (nothing to say yet). A gateway that is down or throttling ends the
        round; a refusal about one message skips that message.
        """
        receipts: list[DeliveryReceipt] = []
        for sms in pending:
            if not sms.phone:
                continue
            try:
                found = await self._report_of(sms)
            except TemporaryFailure as exc:
                log.warning(
                    "Aliyun QuerySendDetails unavailable (%s); trying at the next poll", exc
                )
                break
            except PermanentFailure as exc:
                log.info("Aliyun QuerySendDetails refused for %s: %s", mask_phone(sms.phone), exc)
                continue
            if found is not None:
                receipts.append(found)
        return receipts

    async def _report_of(self, sms: SentSms) -> DeliveryReceipt | None:
        assert sms.phone is not None
        # SendDate is the day in China time; a message sent close to midnight is looked
        # for on the neighbouring day too, since the clocks of two machines decide it.
        sent = sms.sent_at if sms.sent_at.tzinfo else sms.sent_at.replace(tzinfo=UTC)
        days = dict.fromkeys(
            (sent + timedelta(minutes=m)).astimezone(_CHINA).strftime("%Y%m%d") for m in (0, -5, 5)
        )
        for day in days:
            records = await self.query_send_details(sms.phone, day, sms.provider_id)
            # Ours carry the outbox id as OutId; with a BizId given, any other is not ours.
            mine = [r for r in records if str(r.get("OutId") or "") in ("", str(sms.outbox_id))]
            if mine:
                return _aliyun_receipt(sms.provider_id, mine[0])
        return None

    async def close(self) -> None:
        await self._client.aclose()


_CHINA = ZoneInfo("Asia/Shanghai")


def _aliyun_receipt(biz_id: str, record: Mapping[str, Any]) -> DeliveryReceipt | None:
    try:
        status = int(record.get("SendStatus") or 0)
    except (TypeError, ValueError):
        return None
    if status not in (2, 3):  # 1: waiting for the carrier's report
        return None
    code = str(record.get("ErrCode") or "")
    raw = {
        "source": "QuerySendDetails",
        "SendStatus": status,
        "ErrCode": code,
        "SendDate": record.get("SendDate"),
        "ReceiveDate": record.get("ReceiveDate"),
        "OutId": record.get("OutId"),
    }  # never PhoneNum or Content
    return DeliveryReceipt(
        biz_id, status == 3, code or ("DELIVERED" if status == 3 else "FAILED"), raw
    )
