-- wrk script: rotate over the request paths in bench/results/urls.txt (one per line, written by
-- throughput_bench.py from bench/queries.txt) and print a JSON summary line at the end.
local paths = {}
local counter = 0

function init(args)
  local file = args[1] or "bench/results/urls.txt"
  for line in io.lines(file) do
    if #line > 0 then paths[#paths + 1] = line end
  end
  counter = math.random(#paths)
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_s": %.3f, "rps": %.1f, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "non2xx3xx": %d, "timeouts": %d, "p50_ms": %.1f, "p90_ms": %.1f, "p95_ms": %.1f, ' ..
    '"p99_ms": %.1f, "max_ms": %.1f, "mean_ms": %.1f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000))
end
