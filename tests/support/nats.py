"""NATS for the tests: unique streams on the shared server, and private servers that can be stopped.

Never skipped: when the shared server is unreachable the tests fail loudly, as with PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import nats
from nats.errors import NoServersError
from nats.js.errors import NotFoundError

SHARED_URL = os.environ.get("LEDGER_TEST_NATS_URL", "nats://127.0.0.1:4222")
NATS_SERVER = os.environ.get("LEDGER_TEST_NATS_SERVER", shutil.which("nats-server") or "/usr/sbin/nats-server")


@dataclass(frozen=True)
class TestStream:
    """A stream name and subject prefix no other test uses: `LEDGER_TEST_<hex>` on `test<hex>.>`."""

    __test__ = False  # not a pytest test class

    name: str
    subject_prefix: str


def unique_stream() -> TestStream:
    token = uuid.uuid4().hex[:12]
    return TestStream(name=f"LEDGER_TEST_{token.upper()}", subject_prefix=f"test{token}")


async def delete_stream(url: str, stream: str) -> None:
    """Delete `stream` if it exists (tests clean up their streams on the shared server)."""
    nc = await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0, connect_timeout=2)
    try:
        try:
            await nc.jetstream().delete_stream(stream)
        except NotFoundError:
            pass
    finally:
        await nc.close()


async def connect(url: str = SHARED_URL) -> nats.NATS:
    """A client connection; fails loudly when the server is unreachable."""
    try:
        return await nats.connect(url, allow_reconnect=False, max_reconnect_attempts=1, reconnect_time_wait=0,
                                  connect_timeout=2, error_cb=_quiet)
    except (OSError, NoServersError, TimeoutError) as error:
        raise RuntimeError(f"NATS with JetStream is required for these tests and is unreachable at {url}: {error}") from error


async def _quiet(error: Exception) -> None:
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateNatsServer:
    """A nats-server of the test's own (JetStream, free port, temporary store), which the test may
    stop and start again on the same port and store: an outage without touching the shared server."""

    def __init__(self) -> None:
        self.port = free_port()
        self.store_dir = tempfile.mkdtemp(prefix="ledger-nats-")
        self.url = f"nats://127.0.0.1:{self.port}"
        self._process: subprocess.Popen | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        if self.running:
            return
        self._process = subprocess.Popen(
            [NATS_SERVER, "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", self.store_dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"nats-server exited with {self._process.returncode} on port {self.port}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    if sock.recv(4) == b"INFO":  # the server greets every client when it is ready
                        return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nats-server did not start on port {self.port}")

    def stop(self, *, kill: bool = False) -> None:
        """Stop the server (SIGTERM: a clean shutdown that flushes the store; kill=True: SIGKILL)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        if kill:
            process.kill()
        else:
            process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.store_dir, ignore_errors=True)


@contextmanager
def private_nats_server() -> Iterator[PrivateNatsServer]:
    server = PrivateNatsServer()
    server.start()
    try:
        yield server
    finally:
        server.remove()
