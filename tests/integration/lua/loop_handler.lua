-- A handler that never returns: flint serve's [serve] timeout ends its VM.
function handle(req)
	while true do end
end
