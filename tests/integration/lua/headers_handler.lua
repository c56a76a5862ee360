-- Response headers longer together than a luaL_Buffer's first block (about
-- 1 KiB), where lua.elf used to grow the buffer in the middle of the stack.
function handle(req)
	local h = { ["Content-Type"] = "text/plain" }
	for i = 1, 40 do h["X-Long-" .. i] = string.rep("v", 60) .. i end
	return { status = 201, headers = h, body = "all headers\n" }
end
