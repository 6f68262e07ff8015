"""Messages appended as JSON lines to a file: for offline deployments (another system picks the
file up) and for tests of the whole system. A key already in the file is not written again, so a
redelivery after a crash leaves one line per message."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

from adapters.sms.gateway import SendResult, SmsMessage


class FileGateway:
    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: set[str] | None = None

    def messages(self) -> list[dict[str, str]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def send(self, message: SmsMessage) -> SendResult:
        with self._lock:
            if self._seen is None:
                self._seen = {m.get("idempotency_key", "") for m in self.messages()}
            if message.idempotency_key in self._seen:
                return SendResult("delivered", f"already in {self.path.name}")
            line = json.dumps({"idempotency_key": message.idempotency_key, "mobile": message.mobile, "text": message.text},
                              ensure_ascii=False)
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as file:
                    file.write(line + "\n")
                    file.flush()
                    os.fsync(file.fileno())
            except OSError as error:
                return SendResult("failed", f"cannot write {self.path}: {error.strerror}", retryable=True)
            self._seen.add(message.idempotency_key)
        return SendResult("delivered", f"written to {self.path.name}")
