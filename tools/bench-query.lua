-- wrk script for tools/bench-query: cycles through the request paths listed
-- one per line in the file named by $BENCH_PATHS (each wrk thread starts at
-- a different place), counts non-200 answers, and prints one machine-readable
-- line at the end:  RESULT <requests> <errors> <req/s> <p50 us> <p99 us>
local paths = {}
local file = os.getenv("BENCH_PATHS")
for line in io.lines(file) do
   if #line > 0 then paths[#paths + 1] = line end
end
local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("id", counter)
   table.insert(threads, thread)
end

function init(args)
   i = (id * 7919) % #paths
   bad = 0
end

function request()
   i = i % #paths + 1
   return wrk.format("GET", paths[i])
end

function response(status, headers, body)
   if status ~= 200 then bad = bad + 1 end
end

function done(summary, latency, requests)
   local errors = summary.errors.status + summary.errors.connect +
      summary.errors.read + summary.errors.write + summary.errors.timeout
   local b = 0
   for _, t in ipairs(threads) do b = b + (t:get("bad") or 0) end
   io.write(string.format("RESULT %d %d %.0f %d %d\n", summary.requests,
      errors + b, summary.requests / (summary.duration / 1e6),
      latency:percentile(50), latency:percentile(99)))
end
