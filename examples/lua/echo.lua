-- A JSON echo for `flint serve` (lua.elf -- --serve /echo.lua, with json.lua
-- beside it on the initrd): answers the request as JSON; a JSON body comes
-- back parsed under "json".  Loaded before flint_ready(): with snapshot =
-- auto every request starts with this module and json.lua already compiled.
package.path = "/?.lua"
local json = require "json"

function handle(req)
	local reply = { method = req.method, path = req.path, query = req.query,
		headers = req.headers, body = req.body }
	if (req.headers["content-type"] or ""):find("application/json", 1, true) then
		local ok, v = pcall(json.decode, req.body)
		if not ok then
			return { status = 400, headers = { ["Content-Type"] = "text/plain" }, body = v .. "\n" }
		end
		reply.json = v
	end
	return { status = 200, headers = { ["Content-Type"] = "application/json" }, body = json.encode(reply) .. "\n" }
end
