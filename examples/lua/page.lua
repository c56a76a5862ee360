-- A template renderer for `flint serve`: /page.html from the initrd, read
-- once before flint_ready(), with {{name}} filled from the query string
-- (?name=value&...), HTML-escaped.
local f = assert(io.open("/page.html"))
local template = f:read("a")
f:close()

local function unescape(s)
	return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end
local function html(s)
	return (s:gsub("[&<>\"']", { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;" }))
end

function handle(req)
	local vars = {}
	for k, v in req.query:gmatch("([^&=]+)=([^&]*)") do vars[unescape(k)] = unescape(v) end
	local body = template:gsub("{{(%w+)}}", function(k) return html(vars[k] or "") end)
	return { headers = { ["Content-Type"] = "text/html; charset=utf-8" }, body = body }
end
