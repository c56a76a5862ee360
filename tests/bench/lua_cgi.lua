-- The serve bench's peer: the same handler (examples/lua/echo.lua) as a CGI
-- script, run by the host's lua5.4 under lighttpd, one process per request.
-- Builds req as lua.elf --serve does, from the CGI environment and stdin.
local dir = os.getenv("LUA_HANDLER_DIR")
-- echo.lua sets package.path to the guest's root: json comes preloaded instead.
package.preload.json = function() return dofile(dir .. "/json.lua") end
dofile(dir .. "/echo.lua")
local headers = {}
for _, k in ipairs { "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_HOST", "HTTP_ACCEPT", "HTTP_USER_AGENT" } do
	local v = os.getenv(k)
	if v then headers[(k:gsub("^HTTP_", "")):lower():gsub("_", "-")] = v end
end
local n = tonumber(os.getenv("CONTENT_LENGTH") or "0") or 0
local req = { method = os.getenv("REQUEST_METHOD"), path = os.getenv("SCRIPT_NAME") .. (os.getenv("PATH_INFO") or ""),
	query = os.getenv("QUERY_STRING") or "", headers = headers, body = n > 0 and io.read(n) or "" }
local r = handle(req)
local out = { ("Status: %d\r\n"):format(r.status or 200) }
for k, v in pairs(r.headers or {}) do out[#out + 1] = k .. ": " .. v .. "\r\n" end
out[#out + 1] = "Content-Length: " .. #r.body .. "\r\n\r\n" .. r.body
io.write(table.concat(out))
