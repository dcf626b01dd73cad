#!/usr/bin/env python3
"""The plain SQLite loop at C speed, as a baseline for `smallchange bench ledger`.

Python's sqlite3 module calls SQLite's C API directly with cached prepared statements, so
this measures what SQLite itself does for the same row writes as `smallchange bench plain`
(insert the transfer, update both accounts), with no framework in between. Run it on a
database `smallchange migrate` created:

    scripts/plain_sqlite.py PATH TRANSFERS ACCOUNTS COMMIT_EVERY

Prints one JSON line with transfers_per_s.
"""
import json
import random
import sqlite3
import sys
import time

path, transfers, accounts, every = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
db = sqlite3.connect(path, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL")
db.execute("PRAGMA synchronous=FULL")  # as durable as smallchange's default
run = "plainc_%d" % random.randrange(10**8)
now = int(time.time() * 1e6)
db.execute("BEGIN")
for i in range(accounts):
    db.execute(
        "INSERT INTO ledger_accounts (id, tenant_id, currency, code, flags, debits_pending, debits_posted,"
        " credits_pending, credits_posted, created_at) VALUES (?, ?, 'KRW', 2, 0, 0, 0, 0, 1000000000, ?)",
        ("%s/a%d" % (run, i), run, now),
    )
db.execute("COMMIT")
rng = random.Random(0)
work = []
for n in range(transfers):
    debit = rng.randrange(accounts)
    credit = (debit + rng.randrange(1, accounts)) % accounts
    work.append(("%s/t%012d" % (run, n), "%s/a%d" % (run, debit), "%s/a%d" % (run, credit)))
started = time.time()
for start in range(0, transfers, every):
    db.execute("BEGIN")
    for transfer_id, debit, credit in work[start:start + every]:
        db.execute(
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, currency, code, flags,"
            " pending_id, timeout_s, created_at) VALUES (?, ?, ?, 1, 'KRW', 1, 0, NULL, 0, ?)",
            (transfer_id, debit, credit, now),
        )
        db.execute("UPDATE ledger_accounts SET debits_posted = debits_posted + 1 WHERE id = ?", (debit,))
        db.execute("UPDATE ledger_accounts SET credits_posted = credits_posted + 1 WHERE id = ?", (credit,))
    db.execute("COMMIT")
elapsed = time.time() - started
print(json.dumps({"bench": "plain_c", "backend": "sqlite", "transfers": transfers, "commit_every": every,
                  "transfers_per_s": round(transfers / elapsed), "elapsed_s": round(elapsed, 3)}))
