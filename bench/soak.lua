-- wrk script for the soak run (bench/soak.py): GET requests taken in turn from a plan file.
--
-- Usage: wrk ... -s bench/soak.lua URL -- PLAN_FILE MAX_REQUESTS_PER_THREAD
--
-- PLAN_FILE, one request a line: the Accept header, a tab, the path with its query string
-- (already URL-encoded). Each thread starts at its own place in the plan. A thread stops after
-- MAX_REQUESTS_PER_THREAD responses (0: no bound but wrk's -d). At the end one line
-- "SOAKJSON {...}" carries the summary (non-2xx and socket errors included) for the harness.

local requests = {}
local pos = 0
local answered = 0
local max_requests = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local fh = assert(io.open(args[1], "r"), "cannot open plan file " .. tostring(args[1]))
  max_requests = tonumber(args[2]) or 0
  for line in fh:lines() do
    local accept, path = string.match(line, "^([^\t]+)\t(.+)$")
    if path then
      table.insert(requests, wrk.format("GET", path, { Accept = accept }))
    end
  end
  fh:close()
  pos = ((thread_id or 0) * 7919) % #requests
end

function request()
  pos = pos % #requests + 1
  return requests[pos]
end

function response(status, headers, body)
  answered = answered + 1
  if max_requests > 0 and answered >= max_requests then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
