-- A small pure-Lua JSON encoder and decoder (objects, arrays, strings with
-- \u escapes, numbers, true/false/null), for the example handlers.
-- json.null stands for JSON's null inside tables.
local json = { null = setmetatable({}, { __tostring = function() return "null" end }) }

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
	["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function is_array(t)
	local n = 0
	for k in pairs(t) do
		if math.type(k) ~= "integer" or k < 1 then return false end
		n = math.max(n, k)
	end
	return n == #t
end

local function encode(v, out, depth)
	if depth > 100 then error("json.encode: nested too deeply") end
	local ty = type(v)
	if v == nil or v == json.null then out[#out + 1] = "null"
	elseif ty == "boolean" then out[#out + 1] = tostring(v)
	elseif ty == "number" then
		if v ~= v or v == math.huge or v == -math.huge then error("json.encode: " .. tostring(v) .. " is not JSON") end
		out[#out + 1] = math.type(v) == "integer" and tostring(v) or ("%.17g"):format(v)
	elseif ty == "string" then
		out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
			return escapes[c] or ("\\u%04x"):format(c:byte())
		end) .. '"'
	elseif ty == "table" then
		if next(v) ~= nil and is_array(v) then
			out[#out + 1] = "["
			for i, x in ipairs(v) do
				if i > 1 then out[#out + 1] = "," end
				encode(x, out, depth + 1)
			end
			out[#out + 1] = "]"
		else
			out[#out + 1] = "{"
			local first = true
			for k, x in pairs(v) do
				if type(k) ~= "string" then error("json.encode: object keys must be strings") end
				if not first then out[#out + 1] = "," end
				first = false
				encode(k, out, depth + 1)
				out[#out + 1] = ":"
				encode(x, out, depth + 1)
			end
			out[#out + 1] = "}"
		end
	else
		error("json.encode: cannot encode a " .. ty)
	end
end

function json.encode(v)
	local out = {}
	encode(v, out, 0)
	return table.concat(out)
end

local decode_value

local function fail(s, i, what) error(("json.decode: %s at byte %d"):format(what, i), 0) end
local function skip(s, i) return s:find("[^ \t\r\n]", i) or #s + 1 end

local function decode_string(s, i)
	local out, j = {}, i + 1
	while true do
		local c = s:sub(j, j)
		if c == "" then fail(s, j, "unterminated string") end
		if c == '"' then return table.concat(out), j + 1 end
		if c == "\\" then
			local e = s:sub(j + 1, j + 1)
			local map = { b = "\b", f = "\f", n = "\n", r = "\r", t = "\t", ['"'] = '"', ["\\"] = "\\", ["/"] = "/" }
			if map[e] then out[#out + 1] = map[e]; j = j + 2
			elseif e == "u" then
				local hex = s:match("^%x%x%x%x", j + 2) or fail(s, j, "bad \\u escape")
				out[#out + 1] = utf8.char(tonumber(hex, 16)); j = j + 6
			else fail(s, j, "bad escape") end
		elseif c:byte() < 32 then fail(s, j, "control character in string")
		else out[#out + 1] = c; j = j + 1 end
	end
end

function decode_value(s, i, depth)
	if depth > 100 then fail(s, i, "nested too deeply") end
	i = skip(s, i)
	local c = s:sub(i, i)
	if c == "{" then
		local t = {}
		i = skip(s, i + 1)
		if s:sub(i, i) == "}" then return t, i + 1 end
		while true do
			if s:sub(i, i) ~= '"' then fail(s, i, "expected a key") end
			local k
			k, i = decode_string(s, i)
			i = skip(s, i)
			if s:sub(i, i) ~= ":" then fail(s, i, "expected ':'") end
			t[k], i = decode_value(s, i + 1, depth + 1)
			i = skip(s, i)
			c = s:sub(i, i)
			if c == "}" then return t, i + 1 end
			if c ~= "," then fail(s, i, "expected ',' or '}'") end
			i = skip(s, i + 1)
		end
	elseif c == "[" then
		local t, n = {}, 0
		i = skip(s, i + 1)
		if s:sub(i, i) == "]" then return t, i + 1 end
		while true do
			n = n + 1
			t[n], i = decode_value(s, i, depth + 1)
			i = skip(s, i)
			c = s:sub(i, i)
			if c == "]" then return t, i + 1 end
			if c ~= "," then fail(s, i, "expected ',' or ']'") end
			i = i + 1
		end
	elseif c == '"' then return decode_string(s, i)
	elseif s:find("^true", i) then return true, i + 4
	elseif s:find("^false", i) then return false, i + 5
	elseif s:find("^null", i) then return json.null, i + 4
	else
		local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", i)
		if not num or num == "" or not tonumber(num) then fail(s, i, "unexpected character") end
		return tonumber(num), i + #num
	end
end

function json.decode(s)
	local v, i = decode_value(s, 1, 0)
	if skip(s, i) <= #s then fail(s, i, "trailing characters") end
	return v
end

return json
