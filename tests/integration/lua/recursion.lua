-- Unbounded recursion in Lua, through C (a metamethod), and in the parser:
-- each a Lua error, caught; then an uncaught one.
local function down(n) return 1 + down(n + 1) end
print("lua:", pcall(down, 1))
local t = setmetatable({}, { __index = function(t, k) return t[k] end })
print("c:", pcall(function() return t.x end))
print("parser:", load("return " .. ("{"):rep(100000)))
print("gsub:", pcall(string.gsub, ("x"):rep(10), "x", function(s) return down(1) end))
down(1)
