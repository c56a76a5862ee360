-- A handler that fails: `flint serve` answers 502, the traceback goes to
-- the guest's stderr, never into the response.
local function lookup(t, k) return t[k].value end

function handle(req)
	return { body = lookup({}, req.path) }
end
