-- wrk script for tools/load-test and tools/soak: cycles through the
-- request paths listed one per line in $LOAD_PATHS (each thread from its
-- own place). With
-- $LOAD_QUOTA set, a thread stops once it has that many answers and creates
-- $LOAD_DONE.<thread> (wrk itself sleeps out its -d duration: the caller
-- sends it SIGINT once every thread is done). Every answer that is not
-- 2xx/3xx is counted, and the first few are logged to $LOAD_ERRLOG with the
-- time and the start of the body (wrk does not say which request an answer
-- belongs to). Prints at the end:
--   RESULT <requests> <errors> <req/s> <p50 us> <p99 us> <max us> <seconds>
--   ERRORS connect <n> read <n> write <n> timeout <n> 4xx <n> 5xx <n>
-- where errors is the sum of the six.
local paths = {}
for line in io.lines(os.getenv("LOAD_PATHS")) do
   if #line > 0 then paths[#paths + 1] = line end
end
local quota = tonumber(os.getenv("LOAD_QUOTA") or "0")
local done_file = os.getenv("LOAD_DONE")
local errlog = os.getenv("LOAD_ERRLOG")
-- $LOAD_DELAY_MS: each connection waits this long before its next request
-- (a steady load that leaves the machine some CPU: tools/soak).
local delay_ms = tonumber(os.getenv("LOAD_DELAY_MS") or "0")
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   i = (id * 7919) % #paths
   c4, c5, answered, logged = 0, 0, 0, 0
   finished = false
end

if delay_ms > 0 then
   function delay()
      return delay_ms
   end
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end

function response(status, headers, body)
   answered = answered + 1
   if status < 200 or status >= 400 then
      if status >= 500 then c5 = c5 + 1 else c4 = c4 + 1 end
      if errlog and logged < 20 then
         logged = logged + 1
         local f = io.open(errlog, "a")
         if f then
            f:write(string.format("%d thread %d status %d %s\n", os.time(),
               id, status, string.sub(body or "", 1, 200)))
            f:close()
         end
      end
   end
   if quota > 0 and answered >= quota and not finished then
      finished = true
      if done_file then
         local f = io.open(done_file .. "." .. id, "w")
         if f then f:close() end
      end
      wrk.thread:stop()
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   local s4, s5 = 0, 0
   for _, t in ipairs(threads) do
      s4 = s4 + (t:get("c4") or 0)
      s5 = s5 + (t:get("c5") or 0)
   end
   local errors = e.connect + e.read + e.write + e.timeout + s4 + s5
   local secs = summary.duration / 1e6
   io.write(string.format("RESULT %d %d %.0f %d %d %d %.1f\n",
      summary.requests, errors, summary.requests / secs,
      latency:percentile(50), latency:percentile(99), latency.max, secs))
   io.write(string.format(
      "ERRORS connect %d read %d write %d timeout %d 4xx %d 5xx %d\n",
      e.connect, e.read, e.write, e.timeout, s4, s5))
end
