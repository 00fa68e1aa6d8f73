-- wrk script for bench/bench.py: cycle over the request paths listed (one per line) in the file
-- named by $BENCH_PATHS, so the load generator asks for exactly what the audit asks for.
local paths = {}
local i = 0

function init(args)
  local f = assert(io.open(os.getenv("BENCH_PATHS"), "r"))
  for line in f:lines() do
    if #line > 0 then paths[#paths + 1] = line end
  end
  f:close()
  -- Start each thread at a different place so they do not ask for the same project in step.
  i = math.random(#paths) - 1
end

function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i])
end
