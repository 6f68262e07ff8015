"""The SMS gateways against a small local HTTP server that also fails on purpose."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from adapters.sms.file import FileGateway
from adapters.sms.gateway import SmsMessage, gateway_from_setting
from adapters.sms.http import HttpGateway


class FakeProvider:
    """Answers the next queued statuses, then 200; remembers every request and idempotency key."""

    def __init__(self) -> None:
        self.script: list[int] = []
        self.requests: list[dict] = []
        self.keys: list[str] = []


@pytest.fixture
def provider() -> Iterator[tuple[FakeProvider, str]]:
    state = FakeProvider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            state.requests.append(body)
            state.keys.append(self.headers["Idempotency-Key"])
            status = state.script.pop(0) if state.script else 200
            payload = json.dumps({"id": f"sms-{len(state.requests)}"} if status == 200 else {"error": "nope"}).encode()
            self.send_response(status)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}/sms"
    server.shutdown()
    server.server_close()


MESSAGE = SmsMessage("key-1", "13812345678", "【双重预防】测试")


def test_http_gateway_sends_template_signature_and_key(provider: tuple[FakeProvider, str]) -> None:
    state, url = provider
    result = HttpGateway(url, template_id="SMS_001", signature="河南应急", sleep=lambda s: None).send(MESSAGE)
    assert (result.result, result.detail) == ("delivered", "accepted as sms-1")
    assert state.requests == [{"mobile": "13812345678", "template_id": "SMS_001", "signature": "河南应急",
                               "text": "【双重预防】测试", "idempotency_key": "key-1"}]
    assert state.keys == ["key-1"]


def test_http_gateway_retries_server_errors_with_backoff_and_the_same_key(provider: tuple[FakeProvider, str]) -> None:
    state, url = provider
    state.script = [500, 503]
    waits: list[float] = []
    result = HttpGateway(url, retries=3, backoff_seconds=0.1, sleep=waits.append).send(MESSAGE)
    assert result.result == "delivered" and waits == [0.1, 0.2] and state.keys == ["key-1"] * 3


def test_http_gateway_gives_up_retryably_and_knows_the_daily_cap(provider: tuple[FakeProvider, str]) -> None:
    state, url = provider
    state.script = [502] * 3
    failed = HttpGateway(url, retries=2, sleep=lambda s: None).send(MESSAGE)
    assert failed.result == "failed" and failed.retryable and "HTTP 502" in failed.detail
    state.script = [429]
    assert HttpGateway(url, sleep=lambda s: None).send(MESSAGE).result == "capped"
    state.script = [400]
    refused = HttpGateway(url, sleep=lambda s: None).send(MESSAGE)
    assert refused.result == "failed" and not refused.retryable


def test_http_gateway_survives_an_unreachable_provider() -> None:
    result = HttpGateway("http://127.0.0.1:9/sms", retries=1, timeout_seconds=1, sleep=lambda s: None).send(MESSAGE)
    assert result.result == "failed" and result.retryable


def test_file_gateway_writes_each_key_once_even_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sms" / "out.jsonl"
    assert FileGateway(path).send(MESSAGE).result == "delivered"
    assert FileGateway(path).send(MESSAGE).result == "delivered"  # a new process after a crash
    assert [m["idempotency_key"] for m in FileGateway(path).messages()] == ["key-1"]


def test_the_setting_picks_the_gateway(tmp_path: Path) -> None:
    assert gateway_from_setting("console").name == "console"
    assert gateway_from_setting(f"file:{tmp_path / 'x.jsonl'}").name == "file"
    assert gateway_from_setting("https://sms.example/send").name == "http"
    with pytest.raises(ValueError, match="LEDGER_SMS_GATEWAY"):
        gateway_from_setting("carrier-pigeon")


def test_the_console_gateway_masks_the_number(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="ledger.sms.console")
    gateway = gateway_from_setting("console")
    gateway.send(MESSAGE)
    gateway.send(MESSAGE)
    assert "138****5678" in caplog.text and "13812345678" not in caplog.text
    assert caplog.text.count("SMS to") == 1
