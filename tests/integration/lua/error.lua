-- An uncaught error: the traceback on stderr, status 1.
local function inner() error("boom in inner") end
local function outer() inner() end
print("before the error")
outer()
print("not reached")
