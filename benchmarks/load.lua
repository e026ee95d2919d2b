-- wrk script for benchmarks/bench_load.py: logged-in users mixing list, detail, search and
-- transitions. The Python side writes users.lua (sessions, CSRF tokens, case ids) and MIX:
--   list        the list page (50 rows)
--   case        case pages: each request the next of a random user's cases (so each one a
--               different case, and the access trail row it writes is written too)
--   transition  transitions (see below)
--   baseline    the baseline app's page of the user's municipality
--   signed-in   the baseline app's signed-in page (the user's session cookie)
--   layout      KoKoMa's page for a path it does not have (404), signed in: the base layout
--               with its navigation and nothing else, the least any page of KoKoMa shows
--   memory      paths picked at random from KOKOMA_LOAD_PATHS, a file the Python side writes:
--               one "<user number> <path>" a line (list pages with varied filters and paging,
--               case pages of many cases); the distinct line numbers sent are appended to
--               KOKOMA_LOAD_SENT (when set) at the end
--   mixed       list 50 %, detail 25 %, search 15 %, transitions 10 %
-- KOKOMA_LOAD_SEED varies the random choices from one wrk run to the next.
local users = dofile(os.getenv("KOKOMA_LOAD_USERS"))
local mix = os.getenv("KOKOMA_LOAD_MIX") or "mixed"
local seed = tonumber(os.getenv("KOKOMA_LOAD_SEED") or "0")
local threads = {}
local thread_count = tonumber(os.getenv("KOKOMA_LOAD_THREADS") or "2")
local counter = 0
-- The browser of the logged-in users: the same as at their login, as a real browser sends it
-- (Flask-Login's session protection compares it and re-issues the cookie when it changes).
local agent = os.getenv("KOKOMA_LOAD_AGENT")

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

-- Transitions: each wrk thread owns every other case of each user and walks through them in
-- turn, moving each back and forth (analysis -> processing -> analysis ...), so that no two
-- requests in flight move the same case and each transition is one the case allows.
local owned = {}
local turn = 0

-- The memory mix: its paths, and which of them this thread sent (line number -> true).
local paths = {}
sent = {}
sent_list, sent_case = 0, 0

local function read_paths(file)
  for line in io.lines(file) do
    local user, path = line:match("^(%d+) (%S+)$")
    if user then table.insert(paths, {user = users[tonumber(user)], path = path}) end
  end
  if #paths == 0 then error("no paths in " .. file) end
end

function init(args)
  math.randomseed(id * 7919 + seed * 104729)
  s2xx, s302, s4xx, s5xx, other = 0, 0, 0, 0, 0
  if mix == "memory" then read_paths(os.getenv("KOKOMA_LOAD_PATHS")) end
  for _, user in ipairs(users) do
    for i, case in ipairs(user.cases) do
      if i % thread_count == id - 1 then
        table.insert(owned, {user = user, id = case[1], state = case[2]})
      end
    end
  end
end

local function pick(list) return list[math.random(#list)] end

local function transition()
  turn = turn % #owned + 1
  local case = owned[turn]
  local trigger = case.state == "analysis" and "start_processing" or "reanalyse"
  case.state = case.state == "analysis" and "processing" or "analysis"
  local body = "csrf_token=" .. case.user.csrf .. "&trigger=" .. trigger .. "&comment=Lastlauf"
  return wrk.format("POST", "/cases/" .. case.id .. "/transition", {
    ["Cookie"] = case.user.cookie, ["User-Agent"] = agent, ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Referer"] = wrk.scheme .. "://" .. wrk.host .. ":" .. wrk.port .. "/" }, body)
end

local function from_paths()
  local n = math.random(#paths)
  local chosen = paths[n]
  sent[n] = true
  if chosen.path:sub(1, 8) == "/cases/?" then sent_list = sent_list + 1 else sent_case = sent_case + 1 end
  return wrk.format("GET", chosen.path, {["Cookie"] = chosen.user.cookie, ["User-Agent"] = agent})
end

-- Case pages: each user's cases in turn, the user drawn at random.
local function case_page(user, headers)
  user.next_case = (user.next_case or math.random(#user.cases)) % #user.cases + 1
  return wrk.format("GET", "/cases/" .. user.cases[user.next_case][1], headers)
end

function request()
  if mix == "memory" then return from_paths() end
  local user = pick(users)
  local headers = {["Cookie"] = user.cookie, ["User-Agent"] = agent}
  local r = math.random(100)
  if mix == "list" then return wrk.format("GET", "/cases/?per_page=50", headers) end
  if mix == "case" then return case_page(user, headers) end
  if mix == "transition" then return transition() end
  if mix == "baseline" then return wrk.format("GET", "/cases/" .. user.municipality, headers) end
  if mix == "signed-in" then return wrk.format("GET", "/signed-in/cases", headers) end
  if mix == "layout" then return wrk.format("GET", "/keine-solche-seite", headers) end
  if r <= 50 then return wrk.format("GET", "/cases/?per_page=50", headers) end
  if r <= 75 then return wrk.format("GET", "/cases/" .. pick(user.cases)[1], headers) end
  if r <= 90 then return wrk.format("GET", "/cases/?per_page=50&q=" .. pick({"Stadtteiltreff", "Nr.+12", "MST"}), headers) end
  return transition()
end

function response(status, headers, body)
  if status == 302 then s302 = s302 + 1
  elseif status >= 500 then s5xx = s5xx + 1
  elseif status >= 400 then s4xx = s4xx + 1
  elseif status >= 200 and status < 300 then s2xx = s2xx + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s302 = 0, s4xx = 0, s5xx = 0, other = 0, sent_list = 0, sent_case = 0}
  local distinct = {}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + thread:get(k) end
    for n, _ in pairs(thread:get("sent")) do distinct[n] = true end
  end
  local sent_file = os.getenv("KOKOMA_LOAD_SENT")
  if mix == "memory" and sent_file then
    local out = assert(io.open(sent_file, "a"))
    for n, _ in pairs(distinct) do out:write(n, "\n") end
    out:close()
  end
  io.write(string.format("RESULT requests=%d seconds=%.2f p50=%.2f p95=%.2f p99=%.2f s2xx=%d s302=%d s4xx=%d s5xx=%d other=%d errors=%d sent_list=%d sent_case=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, t.s2xx, t.s302, t.s4xx, t.s5xx, t.other,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    t.sent_list, t.sent_case))
end
