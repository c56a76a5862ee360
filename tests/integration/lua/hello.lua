-- Arguments, print/io.write, io.open read-only, the excluded functions, the clocks.
print("hello from Lua", ...)
io.write("io.write ", _VERSION, "\n")
local f = assert(io.open("/data.txt"))
io.write("data: ", f:read("a"))
f:close()
local w, err = io.open("/new.txt", "w")
print("write:", w, err)
print("missing:", io.open("/nope.txt"))
for _, name in ipairs { "os.execute", "io.popen", "package.loadlib" } do
	local lib, fn = name:match("(%w+)%.(%w+)")
	local ok, e = pcall(_G[lib][fn], "x", "y")
	print(name, ok, e)
end
print("require C module:", (pcall(require, "socket")))
local c0 = os.clock()
local x = 0
for i = 1, 2e6 do x = x + i end
print("clock advanced:", os.clock() >= c0, "time:", math.type(os.time()) or os.time())
print("math:", string.format("%.17g %a %g", math.sqrt(2), 0.5, 2^63), math.floor(-3.5), 7 // 2, tostring(1e300 * 1e10))
print("strtod:", tonumber("0x1p-2"), tonumber("2.5e-3"), tonumber(" 10 "))
