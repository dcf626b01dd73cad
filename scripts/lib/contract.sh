# Sourced by scripts/test: the contract checks. Schemathesis (from PyPI, pinned) generates
# requests for every operation of the OpenAPI document a real server serves, with an admin
# key, and fails on any 5xx, any response that breaks its documented schema, and any part
# of the document it cannot generate data for.
#
# The server is the debug build `cargo test` just made, on a throwaway SQLite database with
# the demo tenant, on a free loopback port; it is stopped at the end. The result is written
# as a cargo-style "test result:" line (one test per operation) so that scripts/test counts
# it in its last line.

SCHEMATHESIS_VERSION=4.32.5
# Generated cases per operation and phase: enough to walk each schema's branches while the
# whole run stays well under a minute on 2 cores.
CONTRACT_EXAMPLES_MAX=25

ensure_schemathesis() {
  contract_venv=${CARGO_TARGET_DIR:-target}/contract-venv
  if ! "$contract_venv/bin/schemathesis" --version 2>/dev/null | grep -q "$SCHEMATHESIS_VERSION"; then
    echo "==> installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $contract_venv" >&2
    python3 -m venv "$contract_venv" && "$contract_venv/bin/pip" install -q "schemathesis==$SCHEMATHESIS_VERSION" >&2 \
      || return 1
  fi
}

# run_contract_checks LOG: runs the checks, appends their "test result:" line to LOG.
run_contract_checks() {
  local log=$1 work port key status
  ensure_schemathesis || { echo "test result: FAILED. 0 passed; 1 failed (schemathesis could not be installed)" | tee -a "$log"; return 1; }
  work=$(mktemp -d /tmp/smallchange-contract.XXXXXX)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  echo "==> contract checks: schemathesis over http://127.0.0.1:$port/openapi.json (log: $work/schemathesis.log)" >&2
  "${CARGO_TARGET_DIR:-target}/debug/smallchange" serve --demo --db "sqlite://$work/contract.db" --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do
    key=$(grep -o 'sk_[A-Za-z0-9]*' "$work/serve.log" | head -n 1)
    [ -n "$key" ] && break
    sleep 0.1
  done
  if [ -z "$key" ]; then
    kill "$server" 2>/dev/null
    cat "$work/serve.log" >&2
    echo "test result: FAILED. 0 passed; 1 failed (the server for the contract checks did not start)" | tee -a "$log"
    return 1
  fi
  "$contract_venv/bin/schemathesis" run "http://127.0.0.1:$port/openapi.json" \
    -H "Authorization: Bearer $key" \
    --checks not_a_server_error,response_schema_conformance \
    --phases examples,coverage,fuzzing,stateful --max-examples "$CONTRACT_EXAMPLES_MAX" --workers 2 --seed 1 \
    --generation-database none --no-color --report junit --report-junit-path "$work/junit.xml" >"$work/schemathesis.log" 2>&1
  status=$?
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  sed -n '/SUMMARY/,$p' "$work/schemathesis.log" >&2
  python3 - "$work/junit.xml" "$status" <<'PY' | tee -a "$log"
import sys
import xml.etree.ElementTree as ET
path, status = sys.argv[1], int(sys.argv[2])
try:
    cases = ET.parse(path).getroot().iter("testcase")
except (OSError, ET.ParseError) as error:
    print(f"test result: FAILED. 0 passed; 1 failed (no schemathesis report: {error})")
    sys.exit()
passed = failed = 0
for case in cases:
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
    else:
        passed += 1
# A run that exits non-zero with every operation passing still failed somewhere.
if status != 0 and failed == 0:
    failed = 1
print(f"test result: {'ok' if failed == 0 else 'FAILED'}. {passed} passed; {failed} failed (contract checks)")
PY
  [ "$status" -eq 0 ]
}
