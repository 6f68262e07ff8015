"""The README's test command itself: it fails fast and quietly without PostgreSQL, and it leaves
the run command's install stamp alone (serve reinstalled after every test run)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_without_postgres_the_run_stops_at_once_in_one_message() -> None:
    env = {**os.environ, "LEDGER_TEST_PG_URL": "postgresql+psycopg2://root@127.0.0.1:1/postgres"}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_audit_rest.py"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3
    output = done.stdout + done.stderr
    assert "PostgreSQL is unreachable at postgresql+psycopg2://root@127.0.0.1:1/postgres" in output
    assert len(output.splitlines()) < 10
    assert "passed" not in output and "error" not in output.lower().replace("connection", "")


def test_the_test_command_keeps_the_serve_stamp(tmp_path: Path) -> None:
    """Runs scripts/test.sh in a copy whose .venv is a stand-in that only records what it was asked."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "test.sh", tmp_path / "scripts" / "test.sh")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "pip"):
        (bin_dir / tool).write_text(f"#!/bin/sh\necho {tool} \"$@\" >> \"$(dirname \"$0\")/../calls\"\nexit 0\n")
        (bin_dir / tool).chmod(0o755)
    serve_stamp = tmp_path / ".venv" / ".installed-run-0123456789ab"
    serve_stamp.touch()
    first = subprocess.run(["bash", "scripts/test.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    second = subprocess.run(["bash", "scripts/test.sh"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert serve_stamp.exists()
    calls = (tmp_path / ".venv" / "calls").read_text().splitlines()
    assert sum("install" in call and "-e" in call for call in calls) == 1  # installed once, not per run
