# Sourced by scripts/test: the contract checks. Schemathesis (from PyPI, pinned) generates
# requests for every operation of the OpenAPI document a real server serves, with an admin
# key, and fails on any 5xx, any response that breaks its documented schema, and any part
# of the document it cannot generate data for.
#
# The server is the debug build `cargo test` just made, on a throwaway SQLite database with
# the demo tenant, on a free loopback port; it is stopped at the end. Operations on one
# object get a real one's id (real_ids_config), and links between operations (in the
# served document) let the stateful phase carry ids from one answer to the next request.
# The result is written as a cargo-style "test result:" line (one test per operation) so
# that scripts/test counts it in its last line.

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

# real_ids_config BASE KEY DB: a schemathesis config that gives each operation on one object
# (a cash-out, a payment, a card, …) the id of a real one of the demo's, so that its cases
# reach the code behind the lookup instead of a 404. A dispute, a webhook endpoint and a
# ledger account are made first; the rest the demo has.
real_ids_config() {
  local base=$1 key=$2 db=$3 cashout
  post() {
    curl -sf -H "Authorization: Bearer $key" -H 'Content-Type: application/json' -d "$2" "$base$1" >/dev/null \
      || echo "contract checks: POST $1 $2 failed" >&2
  }
  # The demo's paid cash-out is paid by the worker just after the key is printed.
  cashout=$(python3 - "$db" <<'PY'
import sqlite3, sys, time
for _ in range(100):
    row = sqlite3.connect(sys.argv[1]).execute("SELECT id FROM cashouts WHERE status = 'paid' LIMIT 1").fetchone()
    if row:
        print(row[0])
        break
    time.sleep(0.1)
PY
)
  post "/v1/cashouts/$cashout/disputes" '{"reason": "not_received"}'
  post /v1/webhook-endpoints '{"url": "https://hooks.example.com/smallchange", "events": ["cashout.paid"]}'
  post /v1/ledger/accounts '{"accounts": [{"id": "contract-1", "currency": "KRW", "code": 1}]}'
  python3 - "$db" "$cashout" <<'PY'
import sqlite3
import sys
db, cashout = sqlite3.connect(sys.argv[1]), sys.argv[2] or None
def first(sql):
    row = db.execute(sql).fetchone()
    return row[0] if row else None
ids = {
    r"^/v1/users/\{id\}": first("SELECT id FROM users WHERE external_id = 'minji'"),
    r"^/v1/cashouts/\{id\}": cashout,
    r"^/v1/disputes/\{id\}": first("SELECT id FROM disputes ORDER BY id LIMIT 1"),
    r"^/v1/payments/\{id\}": first("SELECT id FROM payments ORDER BY id LIMIT 1"),
    r"^/v1/gift-card-programs/\{id\}": first("SELECT id FROM gift_card_programs ORDER BY id LIMIT 1"),
    r"^/v1/gift-cards/\{id\}": first("SELECT id FROM gift_cards ORDER BY id LIMIT 1"),
    r"^/v1/webhook-endpoints/\{id\}": first("SELECT id FROM webhook_endpoints ORDER BY id LIMIT 1"),
    r"^/v1/ledger/accounts/\{id\}": "contract-1",
    r"^/v1/audit/entries/\{id\}": first("SELECT id FROM events ORDER BY tenant_id, idx LIMIT 1"),
}
# Every run starts from what it sees: nothing learnt by an earlier run against another server.
print("[cache]\nenabled = false\n")
for path, value in ids.items():
    if value is None:
        print(f"contract checks: no real id for {path}", file=sys.stderr)
        continue
    print(f"[[operations]]\ninclude-path-regex = '{path}'\nparameters = {{ \"path.id\" = \"{value}\" }}\n")
PY
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
  real_ids_config "http://127.0.0.1:$port" "$key" "$work/contract.db" >"$work/schemathesis.toml" 2>"$work/real-ids.log"
  "$contract_venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "http://127.0.0.1:$port/openapi.json" \
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
