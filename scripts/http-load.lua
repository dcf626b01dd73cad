-- wrk script for scripts/bench: POST /v1/ledger/transfers with one transfer per request,
-- between random accounts a0..a(ACCOUNTS-1), each with a unique id. Counts answers that are
-- not 200 + "created" and prints them at the end, so a fast run of errors cannot pass.
local key = os.getenv("KEY")
local run = os.getenv("RUN") or "w"
local accounts = tonumber(os.getenv("ACCOUNTS") or "10000")
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  bad = 0
  math.randomseed(tid * 7919 + 17)
end

function request()
  counter = counter + 1
  local d = math.random(0, accounts - 1)
  local c = (d + math.random(1, accounts - 1)) % accounts
  local body = string.format(
    '{"transfers":[{"id":"%s%d_%d","debit_account":"a%d","credit_account":"a%d","amount":1,"currency":"KRW","code":1}]}',
    run, tid, counter, d, c)
  return wrk.format("POST", "/v1/ledger/transfers",
    { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  if status ~= 200 or not string.find(body, '"created"', 1, true) then
    bad = bad + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + thread:get("bad")
  end
  io.write(string.format('{"requests": %d, "requests_per_s": %.0f, "p50_ms": %.3f, "p99_ms": %.3f, "not_created": %d}\n',
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, failed))
end
