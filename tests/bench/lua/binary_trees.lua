-- Binary trees (the Benchmarks Game): allocation and the collector.  binary_trees.lua [DEPTH=16]
local function make(d)
	if d == 0 then return {} end
	d = d - 1
	return { make(d), make(d) }
end

local function check(t)
	if t[1] then return 1 + check(t[1]) + check(t[2]) end
	return 1
end

local N = tonumber(arg and arg[1]) or 16
local mindepth = 4
local maxdepth = math.max(mindepth + 2, N)

local stretch = maxdepth + 1
print(("stretch tree of depth %d\t check: %d"):format(stretch, check(make(stretch))))
local long = make(maxdepth)
for d = mindepth, maxdepth, 2 do
	local iters = 2 ^ (maxdepth - d + mindepth)
	local c = 0
	for _ = 1, iters do c = c + check(make(d)) end
	print(("%d\t trees of depth %d\t check: %d"):format(iters, d, c))
end
print(("long lived tree of depth %d\t check: %d"):format(maxdepth, check(long)))
