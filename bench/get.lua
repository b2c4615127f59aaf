-- wrk -s bench/get.lua: GET with the token in BENCH_TOKEN.
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Token " .. token
end
