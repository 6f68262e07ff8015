"""The runtime starts the background parts in order and stops them newest first, all of them."""

from __future__ import annotations

import threading

from api.runtime import Part, Runtime, ThreadPart


class Recorded:
    def __init__(self, name: str, log: list[str], fail_stop: bool = False) -> None:
        self.name, self.log, self.fail_stop = name, log, fail_stop

    def start(self) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.fail_stop:
            raise RuntimeError("stuck")


def test_parts_start_in_order_and_stop_in_reverse_even_when_one_fails() -> None:
    log: list[str] = []
    runtime = Runtime([Part(n, Recorded(n, log, fail_stop=n == "relay")) for n in ("committer", "call-log", "relay", "scan")])
    runtime.start()
    assert runtime.running == ["committer", "call-log", "relay", "scan"]
    runtime.stop()
    assert log == ["start committer", "start call-log", "start relay", "start scan",
                   "stop scan", "stop relay", "stop call-log", "stop committer"]
    assert runtime.running == []


def test_a_thread_part_runs_until_stopped() -> None:
    seen = threading.Event()

    def run(stop: threading.Event) -> None:
        seen.set()
        stop.wait()

    part = ThreadPart("ledger-test-part", run)
    part.start()
    assert seen.wait(5)
    part.stop()
    assert not any(t.name == "ledger-test-part" for t in threading.enumerate())
