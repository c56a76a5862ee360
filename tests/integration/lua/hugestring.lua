-- Strings: a 16 MiB one works; one larger than memory is a Lua error.
local s = ("ab"):rep(8 << 20)
print("len:", #s, s:sub(-4))
s = nil
print("huge:", pcall(string.rep, "x", 1 << 40))
print("too large:", pcall(string.rep, "xy", math.maxinteger))
os.exit(3)
