"""The default gateway: messages are logged (number masked), nothing leaves the machine."""

from __future__ import annotations

import logging
import threading

from adapters.sms.gateway import SendResult, SmsMessage
from domain.shared.codes import MobileNumber

log = logging.getLogger("ledger.sms.console")


class ConsoleGateway:
    name = "console"

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> SendResult:
        with self._lock:
            if message.idempotency_key in self._seen:
                return SendResult("delivered", "already sent (same idempotency key)")
            self._seen.add(message.idempotency_key)
        log.info("SMS to %s: %s", MobileNumber(message.mobile).masked, message.text)
        return SendResult("delivered", "logged by the console gateway")
