-- Post comments as many different readers: a new email and text on every request, so the
-- duplicate check and per-email rate limit see new readers. Arguments (from bench/run.py):
-- the post path, the CSRF cookie/token, a signed rendered_at, and a nonce unique to the run.
dofile("bench/report.lua")

local path, fields, nonce
local counter = 0
-- Responses by status code, read by report.lua's done(): 302 is an accepted comment.
statuses = {}

local function encode(text)
  return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

init = function(args)
  local token, rendered_at
  path, token, rendered_at, nonce = args[1], args[2], args[3], args[4]
  -- The warm-up and the measured run get the same arguments and start seconds apart: the clock
  -- keeps their readers apart, or the measured run's first posts would be refused as duplicates.
  nonce = nonce .. "-" .. os.time()
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = "csrftoken=" .. token
  fields = "csrfmiddlewaretoken=" .. encode(token) .. "&rendered_at=" .. encode(rendered_at) ..
    "&website=&parent=&name=Bench+Reader"
end

request = function()
  counter = counter + 1
  local email = string.format("r%d-%s@bench-post.example", counter, nonce)
  local body = string.format("Comment %d of run %s: a reader's view, in plain words.",
    counter, nonce)
  return wrk.format("POST", path, nil,
    fields .. "&email=" .. encode(email) .. "&body=" .. encode(body))
end

response = function(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
