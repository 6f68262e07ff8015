#!/usr/bin/env bash
# The test command from the README: builds/refreshes .venv, then runs the whole suite against the
# real PostgreSQL (LEDGER_TEST_PG_URL) and SQLite. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-test-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e '.[test,bench]'
  rm -f .venv/.installed-test-* .venv/.installed-[0-9a-f]*; touch "$stamp"
fi
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "no tests were collected: treating as a failure" >&2
  exit 1
fi
exit "$code"
