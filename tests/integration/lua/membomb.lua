-- Grows a table until the memory limit (lua.mem) turns into Lua's error.
local function bomb()
	local t = {}
	for i = 1, math.huge do t[i] = ("x"):rep(1000) .. i end
end
local ok, err = pcall(bomb)
collectgarbage()
print("caught:", ok, err)
-- The state still works after the error; then an uncaught one ends the VM.
print("after:", #("y"):rep(1000))
bomb()
