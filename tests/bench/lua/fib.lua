-- Recursive Fibonacci: calls and integer arithmetic.  fib.lua [N=32]
local function fib(n)
	if n < 2 then return n end
	return fib(n - 1) + fib(n - 2)
end
local n = tonumber(arg and arg[1]) or 32
print(("fib(%d) = %d"):format(n, fib(n)))
