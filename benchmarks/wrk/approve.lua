-- wrk script: each request approves another pending association request through the gateway.
-- Environment: BENCH_IDS (a file with one association id per line), BENCH_TOKEN (the unit's bearer
-- token), BENCH_BODY (the approval form as JSON), BENCH_DELAY_MS (pause before each request on a
-- connection, for a paced load; 0 = as fast as the gateway answers).
-- Thread i of n takes lines i, i + n, i + 2n, …; once its share is used it sends GET /health/live,
-- which the summary counts apart. Statuses other than 202 are counted and printed at the end.
local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("index", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  ids = {}
  local n = 0
  for line in io.lines(os.getenv("BENCH_IDS")) do
    if n % thread_count_total() == index then table.insert(ids, line) end
    n = n + 1
  end
  next_id = 1
  accepted, other, spare = 0, 0, 0
  headers = {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN"),
    ["Content-Type"] = "application/json",
  }
  body = os.getenv("BENCH_BODY")
  pause = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
end

function thread_count_total()
  return tonumber(os.getenv("BENCH_THREADS") or "1")
end

function request()
  if next_id > #ids then
    return wrk.format("GET", "/health/live")
  end
  local id = ids[next_id]
  next_id = next_id + 1
  return wrk.format("POST", "/v1/association-requests/" .. id .. "/approval", headers, body)
end

function delay()
  return pause
end

function response(status, headers, body)
  if status == 202 then
    accepted = accepted + 1
  elseif status == 200 then
    spare = spare + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local a, o, s = 0, 0, 0
  for _, thread in ipairs(threads) do
    a = a + thread:get("accepted")
    o = o + thread:get("other")
    s = s + thread:get("spare")
  end
  io.write(string.format(
    '{"accepted":%d,"other":%d,"spare":%d,"seconds":%.3f,"requests":%d,"p50":%.3f,"p99":%.3f,"p999":%.3f}\n',
    a, o, s, summary.duration / 1e6, summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency:percentile(99.9) / 1000))
end
