# Sourced by scripts/test: the pages people open, in a real headless Chromium. Debian's
# browser and Korean fonts are installed with apt when missing (never `playwright install`,
# which downloads browsers); Playwright for Python, axe-core's Python binding and pytest come
# from PyPI, pinned, into a venv beside the build. The tests start their own server (the
# debug build `cargo test` just made) and save a screenshot of every page they open in
# target/browser-screenshots. The result is written as a cargo-style "test result:" line so
# that scripts/test counts it in its last line.

PLAYWRIGHT_VERSION=1.65.2
AXE_PLAYWRIGHT_VERSION=0.1.8
PYTEST_VERSION=8.3.5

ensure_browser() {
  if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then
    echo "==> installing chromium and fonts-noto-cjk with apt" >&2
    local sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
    $sudo apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
      chromium fonts-noto-cjk >&2 || return 1
  fi
  browser_venv=${CARGO_TARGET_DIR:-target}/browser-venv
  if ! "$browser_venv/bin/python" -c "import importlib.metadata as m; assert m.version('playwright') == '$PLAYWRIGHT_VERSION' and m.version('axe-playwright-python') == '$AXE_PLAYWRIGHT_VERSION'" 2>/dev/null; then
    echo "==> installing playwright $PLAYWRIGHT_VERSION, axe-playwright-python $AXE_PLAYWRIGHT_VERSION and pytest into $browser_venv" >&2
    python3 -m venv "$browser_venv" && "$browser_venv/bin/pip" install -q "playwright==$PLAYWRIGHT_VERSION" \
      "axe-playwright-python==$AXE_PLAYWRIGHT_VERSION" "pytest==$PYTEST_VERSION" >&2 || return 1
  fi
}

# run_browser_tests LOG: runs the browser tests, appends their "test result:" line to LOG.
run_browser_tests() {
  local log=$1 status
  ensure_browser || { echo "test result: FAILED. 0 passed; 1 failed (the browser tests could not be set up)" | tee -a "$log"; return 1; }
  local report=${CARGO_TARGET_DIR:-target}/browser-report.xml
  echo "==> browser tests: headless Chromium (screenshots: ${CARGO_TARGET_DIR:-target}/browser-screenshots)" >&2
  SMALLCHANGE_BIN="${CARGO_TARGET_DIR:-target}/debug/smallchange" \
    SCREENSHOTS="${CARGO_TARGET_DIR:-target}/browser-screenshots" \
    "$browser_venv/bin/python" -m pytest -q -p no:cacheprovider crates/smallchange/tests/browser --junitxml "$report" >&2
  status=$?
  python3 - "$report" "$status" <<'PY' | tee -a "$log"
import sys
import xml.etree.ElementTree as ET
path, status = sys.argv[1], int(sys.argv[2])
try:
    cases = list(ET.parse(path).getroot().iter("testcase"))
except (OSError, ET.ParseError) as error:
    print(f"test result: FAILED. 0 passed; 1 failed (no browser test report: {error})")
    sys.exit()
failed = sum(1 for c in cases if c.find("failure") is not None or c.find("error") is not None)
passed = len(cases) - failed - sum(1 for c in cases if c.find("skipped") is not None)
if status != 0 and failed == 0:
    failed = 1
print(f"test result: {'ok' if failed == 0 else 'FAILED'}. {passed} passed; {failed} failed (browser)")
PY
  [ "$status" -eq 0 ]
}
