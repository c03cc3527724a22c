"""SMS channels: the console (development), SMPP 3.4, Aliyun Dysmsapi and Tencent Cloud SMS.

All of them implement :class:`~server.notify.channels.base.Channel` for
:class:`~server.notify.channels.base.SmsTarget`. Phone numbers never reach a
log unmasked (``138****1234``), and message text is logged only by
:class:`ConsoleSms`, whose whole purpose is to show it.

Delivery reports: SMPP receipts arrive on the bound connection. Aliyun and
Tencent are asked for them (``poll_receipts``: ``QuerySendDetails`` per message,
``PullSmsSendStatus`` for the whole application) and can also post them to the
callback endpoints in :mod:`server.notify.controllers`.

Phone numbers: a target is E.164 digits (``+`` optional) or a bare mainland
mobile (``13812345678``), which is read as +86. An 11-digit number without
``+`` that starts with 13–19 is taken as mainland, not as a North American one.
"""

from server.notify.channels.sms.aliyun import AliyunSms, aliyun_signature
from server.notify.channels.sms.common import ReceiptHandler, e164
from server.notify.channels.sms.console import ConsoleSms
from server.notify.channels.sms.smpp import SmppSms, parse_receipt_text, ucs2_parts
from server.notify.channels.sms.tencent import (
    TencentSms,
    TencentTemplate,
    tc3_authorization,
    tc3_signature,
)

__all__ = [
    "AliyunSms",
    "ConsoleSms",
    "ReceiptHandler",
    "SmppSms",
    "TencentSms",
    "TencentTemplate",
    "aliyun_signature",
    "e164",
    "parse_receipt_text",
    "tc3_authorization",
    "tc3_signature",
    "ucs2_parts",
]
