"""An HTTP SMS platform (短信平台接口): one JSON POST per message, with the template id, the
signature and an Idempotency-Key header. Timeouts, and retries with exponential backoff for what
may pass on a second try (connection errors, timeouts, 5xx); a 429 is the provider's daily cap.

Request: POST <url>  {"mobile", "template_id", "signature", "text", "idempotency_key"}
Answers: 2xx delivered (the body's "id" is kept as detail); 429 capped; other 4xx failed for good;
5xx / network errors retried `retries` times, then failed (retryable: the dispatcher tries later).
Uses the standard library's client: one small POST does not justify another dependency.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Callable

from adapters.sms.gateway import SendResult, SmsMessage
from domain.shared.codes import MobileNumber

log = logging.getLogger("ledger.sms.http")


class HttpGateway:
    name = "http"

    def __init__(self, url: str, *, template_id: str = "", signature: str = "", timeout_seconds: float = 5.0,
                 retries: int = 3, backoff_seconds: float = 0.5, sleep: Callable[[float], None] = time.sleep) -> None:
        self.url = url
        self.template_id = template_id
        self.signature = signature
        self.timeout = timeout_seconds
        self.retries = retries
        self.backoff = backoff_seconds
        self._sleep = sleep

    def send(self, message: SmsMessage) -> SendResult:
        body = json.dumps({"mobile": message.mobile, "template_id": self.template_id, "signature": self.signature,
                           "text": message.text, "idempotency_key": message.idempotency_key}, ensure_ascii=False).encode()
        masked = MobileNumber(message.mobile).masked
        last = ""
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url, data=body, method="POST", headers={
                "Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.idempotency_key})
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - configured URL
                    return SendResult("delivered", _gateway_id(response.read()))
            except urllib.error.HTTPError as error:
                if error.code == 429:
                    return SendResult("capped", "the provider's daily cap is reached (HTTP 429)")
                if error.code < 500:
                    return SendResult("failed", f"refused by the gateway: HTTP {error.code} {_short(error.read())}")
                last = f"HTTP {error.code}"
            except (urllib.error.URLError, TimeoutError, OSError) as error:
                last = type(getattr(error, "reason", error)).__name__ + f": {getattr(error, 'reason', error)}"
            log.info("SMS to %s: attempt %d failed (%s)", masked, attempt + 1, last)
        return SendResult("failed", f"gateway unavailable after {self.retries + 1} attempts: {last}"[:300], retryable=True)


def _gateway_id(body: bytes) -> str:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        return "accepted"
    return f"accepted as {data['id']}" if isinstance(data, dict) and data.get("id") else "accepted"


def _short(body: bytes) -> str:
    return body[:200].decode("utf-8", "replace").replace("\n", " ")
