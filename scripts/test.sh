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
# The dashboard's browser tests (tests/e2e/test_dashboard.py) drive Debian's Chromium, in Chinese
# (its zh-CN locale, chromium-l10n), and need a CJK font: installed here when missing, never assumed.
browser_packages=()
[ -x /usr/bin/chromium ] || browser_packages+=(chromium)
[ -f /usr/lib/chromium/locales/zh-CN.pak ] || browser_packages+=(chromium-l10n)
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || browser_packages+=(fonts-noto-cjk)
if [ "${#browser_packages[@]}" -gt 0 ]; then
  apt_get=(apt-get)
  [ "$(id -u)" -eq 0 ] || apt_get=(sudo apt-get)
  apt_log=$(mktemp)
  echo "installing ${browser_packages[*]} for the dashboard's browser tests (apt-get)" >&2
  if ! { "${apt_get[@]}" update -q >"$apt_log" 2>&1 &&
         DEBIAN_FRONTEND=noninteractive "${apt_get[@]}" install -y -q "${browser_packages[@]}" >>"$apt_log" 2>&1; }; then
    cat "$apt_log" >&2
    echo "scripts/test.sh: apt-get could not install ${browser_packages[*]} (output above); the dashboard's browser tests need them" >&2
    exit 1
  fi
  rm -f "$apt_log"
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
