"""What every SMS gateway offers, and how `LEDGER_SMS_GATEWAY` picks one.

A send answers with a result instead of raising: the dispatcher records every result as an event on
the reminder. Each message carries an idempotency key (the due message's id), so a retry after a
crash between sending and recording is recognised by a gateway that supports it and never sent
twice; the console and file gateways keep the keys they have seen for the same reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class SmsMessage:
    idempotency_key: str
    mobile: str
    text: str


@dataclass(frozen=True)
class SendResult:
    result: str  # delivered | failed | capped
    detail: str
    retryable: bool = False  # failed now, worth trying again later (gateway down, timeout)


class SmsGateway(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SendResult:
        """Send one message; never raises for a delivery problem."""


def gateway_from_setting(setting: str, *, template_id: str = "", signature: str = "", timeout_seconds: float = 5.0,
                         retries: int = 3) -> SmsGateway:
    """`console`, `file:PATH` or an `http(s)://` URL (LEDGER_SMS_GATEWAY)."""
    from adapters.sms.console import ConsoleGateway
    from adapters.sms.file import FileGateway
    from adapters.sms.http import HttpGateway

    if setting == "console":
        return ConsoleGateway()
    if setting.startswith("file:") and len(setting) > len("file:"):
        return FileGateway(setting[len("file:"):])
    if setting.startswith(("http://", "https://")):
        return HttpGateway(setting, template_id=template_id, signature=signature, timeout_seconds=timeout_seconds,
                           retries=retries)
    raise ValueError(f"LEDGER_SMS_GATEWAY must be 'console', 'file:PATH' or an http(s):// URL, not {setting!r}")
