-- wrk script for the SPARQL benchmark: GET requests whose URL is built from a template.
--
-- Usage: wrk ... -s bench/sparql.lua URL -- PLAN_FILE BASE
--
-- PLAN_FILE (written by bench/http_bench.py), one item per line:
--   line 1: the request path and query string, already URL-encoded; it may hold the markers
--           __S__ (replaced by a subject picked at random from the lines below) and
--           __N__ (replaced by BASE + a number unique to this request within the run, so that no
--           two requests are the same query and no result cache can answer them; the harness
--           gives every run its own BASE, so numbers never repeat across runs on one server)
--   line 2: the Accept header
--   lines 3..: the subjects for __S__, already URL-encoded
--
-- At the end, one line "WRKJSON {...}" carries the summary for the harness to parse.

local parts = {}      -- the template split at the markers: strings and "S" / "N" slots
local subjects = {}
local accept = "application/sparql-results+json"
local counter = 0
local step = 1
local offset = 0
local base = 1000000

local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

local function split_template(template)
  local out = {}
  local pos = 1
  while true do
    local s_at = string.find(template, "__S__", pos, true)
    local n_at = string.find(template, "__N__", pos, true)
    local at, slot = nil, nil
    if s_at and (not n_at or s_at < n_at) then
      at, slot = s_at, "S"
    elseif n_at then
      at, slot = n_at, "N"
    end
    if not at then
      table.insert(out, string.sub(template, pos))
      return out
    end
    table.insert(out, string.sub(template, pos, at - 1))
    table.insert(out, { slot = slot })
    pos = at + 5
  end
end

function init(args)
  local plan = args[1]
  base = tonumber(args[2]) or base
  local fh = assert(io.open(plan, "r"), "cannot open plan file " .. tostring(plan))
  local template = fh:read("*l")
  accept = fh:read("*l") or accept
  for line in fh:lines() do
    if #line > 0 then
      table.insert(subjects, line)
    end
  end
  fh:close()
  parts = split_template(template)
  -- thread_id is set by setup(); wrk's thread count is fixed by the harness (at most 64).
  local id = tonumber(thread_id) or 0
  offset = id
  step = 64
  math.randomseed(7919 * (id + 1))
  wrk.headers["Accept"] = accept
end

function request()
  counter = counter + 1
  local pieces = {}
  for i = 1, #parts do
    local p = parts[i]
    if type(p) == "string" then
      pieces[i] = p
    elseif p.slot == "S" then
      pieces[i] = subjects[math.random(#subjects)]
    else
      pieces[i] = string.format("%.0f", base + counter * step + offset)
    end
  end
  return wrk.format("GET", table.concat(pieces))
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"bytes\": %d, "
      .. "\"errors\": {\"connect\": %d, \"read\": %d, \"write\": %d, \"status\": %d, \"timeout\": %d}, "
      .. "\"latency_us\": {\"min\": %d, \"mean\": %.1f, \"max\": %d, \"p50\": %d, \"p90\": %d, "
      .. "\"p99\": %d}}\n",
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)
  ))
end
