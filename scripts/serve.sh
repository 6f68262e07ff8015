#!/usr/bin/env bash
# The run command from the README: builds .venv on first use, optionally seeds demo data, then
# serves the ledger (SQLite file var/ledger.db unless LEDGER_DATABASE_URL says otherwise).
#   scripts/serve.sh            # serve
#   scripts/serve.sh --demo     # seed a demo province first (enterprises, users, risks, hazards)
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed-run-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e .
  rm -f .venv/.installed-run-*; touch "$stamp"
fi
if [ "${1:-}" = "--demo" ]; then
  shift
  .venv/bin/ledger demo seed
fi
exec .venv/bin/ledger serve "$@"
