/*
 * lua.elf: Lua 5.4 (Debian's lua5.4 source) as a guest app on newlib.
 *
 *   cmdline = [lua.mem=SIZE] -- SCRIPT [ARG...]     a file on the initrd or a drive
 *   cmdline = [lua.mem=SIZE] -- -e CODE...          inline: the words after -e, joined by spaces
 *   cmdline = [lua.mem=SIZE] -- --serve HANDLER     a function for `flint serve` (serve_handler)
 *
 * print/io.write go to the console, io.read reads stdin (at its end until
 * the guest has a console input), io.open is read-only over the guest's
 * file systems, os.time/os.clock are the guest clock.  os.execute,
 * io.popen and package.loadlib raise an error: there are no processes and
 * no dynamic loader in a guest.  The state's allocator counts its bytes
 * against lua.mem (default: three quarters of the heap), so a memory bomb
 * is Lua's "not enough memory" error, not a crash.  An uncaught error
 * prints its traceback on stderr and the VM exits 1; os.exit(N) exits N.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lauxlib.h"
#include "lua.h"
#include "lualib.h"

#include "include/flint.h"
#include "include/flint_fn.h"

char *flint_heap_end(void);                   /* hosted/hooks.c */

#define STACK_BYTES (1u << 20)   /* the boot stack is 64 KiB; Lua's C levels want more */

static size_t mem_used, mem_limit;
static int app_argc;
static char **app_argv;
static int status;

static void *l_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	void *p;

	(void)ud;
	if (!ptr)
		osize = 0;   /* then osize is the object's kind, not a size */
	if (nsize == 0) {
		free(ptr);
		mem_used -= osize;
		return NULL;
	}
	if (nsize > osize && nsize - osize > mem_limit - mem_used)
		return NULL; /* Lua collects and retries, then raises "not enough memory" */
	p = realloc(ptr, nsize);
	if (p)
		mem_used = mem_used - osize + nsize;
	return p;
}

static int not_here(lua_State *L)
{
	return luaL_error(L, "%s is not available in a Flint guest (no processes, no dynamic loading)",
			  lua_tostring(L, lua_upvalueindex(1)));
}

static void forbid(lua_State *L, const char *lib, const char *fn)
{
	if (lua_getglobal(L, lib) == LUA_TTABLE) {
		lua_pushfstring(L, "%s.%s", lib, fn);
		lua_pushcclosure(L, not_here, 1);
		lua_setfield(L, -2, fn);
	}
	lua_pop(L, 1);
}

static int traceback(lua_State *L)
{
	const char *msg = lua_tostring(L, 1);

	if (!msg) {
		if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
			return 1;
		msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
	}
	luaL_traceback(L, L, msg, 1);
	return 1;
}

static size_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	return *end || end == s ? 0 : (size_t)v;
}

/* The script's chunk, or an error message on the stack. */
static int load(lua_State *L, int *first_arg)
{
	if (app_argc < 2) {
		lua_pushliteral(L, "usage: lua -- SCRIPT [ARG...] | lua -- -e CODE... (cmdline after --)");
		return LUA_ERRSYNTAX;
	}
	if (!strcmp(app_argv[1], "-e")) {
		luaL_Buffer b;

		luaL_buffinit(L, &b);
		for (int i = 2; i < app_argc; i++) {
			if (i > 2)
				luaL_addchar(&b, ' ');
			luaL_addstring(&b, app_argv[i]);
		}
		luaL_pushresult(&b);
		*first_arg = app_argc;
		size_t n;
		const char *code = lua_tolstring(L, -1, &n);
		int rc = luaL_loadbuffer(L, code, n, "=(command line)");

		lua_remove(L, -2);
		return rc;
	}
	*first_arg = 2;
	return luaL_loadfile(L, app_argv[1]);
}

static int serve_handler(lua_State *L, const char *path);

static int run(void)
{
	lua_State *L = lua_newstate(l_alloc, NULL);
	int first = 2, rc, serving = app_argc == 3 && !strcmp(app_argv[1], "--serve");

	if (!L) {
		fputs("lua: cannot create the state: not enough memory\n", stderr);
		return 1;
	}
	luaL_openlibs(L);
	forbid(L, "os", "execute");
	forbid(L, "io", "popen");
	forbid(L, "package", "loadlib");
	lua_pushcfunction(L, traceback);
	if (serving) {
		rc = serve_handler(L, app_argv[2]);
		goto done;
	}
	rc = load(L, &first);
	if (rc == LUA_OK) {
		lua_createtable(L, app_argc, 1);   /* arg, as lua(1) makes it */
		for (int i = 0; i < app_argc; i++) {
			lua_pushstring(L, app_argv[i]);
			lua_rawseti(L, -2, i - first + 1);
		}
		lua_setglobal(L, "arg");
		for (int i = first; i < app_argc; i++)
			lua_pushstring(L, app_argv[i]);
		rc = lua_pcall(L, app_argc - first, 0, 1);
	}
done:
	if (rc != LUA_OK) {
		const char *msg = lua_tostring(L, -1);

		fflush(stdout);
		fprintf(stderr, "lua: %s\n", msg ? msg : "(error object is not a string)");
		fflush(stderr);
		if (!serving)
			lua_close(L);
		return 1;
	}
	/* A function's VM ends now, and flint serve answers when it has: a
	 * lua_close there would only free, object by object, what the power-off
	 * drops whole. */
	if (!serving)
		lua_close(L);
	return 0;
}

/* ---- `flint serve`: handle(req) -> {status, headers, body} (docs/SERVE.md) ---- */

static int push_request(lua_State *L)
{
	const struct fn_request *r = lua_touserdata(L, 1);

	lua_createtable(L, 0, 6);
	lua_pushstring(L, r->method);
	lua_setfield(L, -2, "method");
	lua_pushstring(L, r->target);
	lua_setfield(L, -2, "target");
	lua_pushstring(L, r->path);
	lua_setfield(L, -2, "path");
	lua_pushstring(L, r->query);
	lua_setfield(L, -2, "query");
	lua_createtable(L, 0, (int)r->nheaders);
	for (unsigned i = 0; i < r->nheaders; i++) {
		luaL_Buffer b;   /* names in lower case: HTTP's are case-blind */
		const char *n = r->headers[i].name;

		luaL_buffinit(L, &b);
		for (; *n; n++)
			luaL_addchar(&b, (char)((*n >= 'A' && *n <= 'Z') ? *n + 32 : *n));
		luaL_pushresult(&b);
		lua_pushstring(L, r->headers[i].value);
		lua_settable(L, -3);
	}
	lua_setfield(L, -2, "headers");
	lua_pushlstring(L, r->body, r->body_len);
	lua_setfield(L, -2, "body");
	return 1;
}

static const char *reason(int status)
{
	static const struct { int code; const char *text; } r[] = {
		{ 200, "OK" }, { 201, "Created" }, { 202, "Accepted" }, { 204, "No Content" },
		{ 301, "Moved Permanently" }, { 302, "Found" }, { 303, "See Other" }, { 304, "Not Modified" },
		{ 307, "Temporary Redirect" }, { 308, "Permanent Redirect" }, { 400, "Bad Request" },
		{ 401, "Unauthorized" }, { 403, "Forbidden" }, { 404, "Not Found" },
		{ 405, "Method Not Allowed" }, { 409, "Conflict" }, { 410, "Gone" },
		{ 413, "Content Too Large" }, { 415, "Unsupported Media Type" },
		{ 422, "Unprocessable Content" }, { 429, "Too Many Requests" },
		{ 500, "Internal Server Error" }, { 501, "Not Implemented" }, { 503, "Service Unavailable" },
	};

	for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++)
		if (r[i].code == status)
			return r[i].text;
	return status < 200 ? "Informational" : status < 300 ? "Success" : status < 400 ? "Redirection"
		: status < 500 ? "Client Error" : "Server Error";
}

static int bad_field(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n' || s[i] == '\0')
			return 1;
	return 0;
}

/* handle's result (a table, or a string as a 200 text/plain body) as a CGI
 * response on stdout, in one write: one console buffer, one notify of the
 * device.  Raises an error, before anything is written, when it is not
 * one.  The header lines wait in a table (stack index 3) while lua_next
 * walks the headers, then go into the buffer: a luaL_Buffer must stay at
 * the top of the stack while it grows. */
static int write_response(lua_State *L)
{
	lua_Integer status = 200;
	const char *body, *out;
	size_t len = 0, kl, vl, outl;
	int lines = 0;
	luaL_Buffer b;

	if (lua_type(L, 1) == LUA_TSTRING) {
		lua_createtable(L, 0, 1);
		lua_pushvalue(L, 1);
		lua_setfield(L, -2, "body");
		lua_replace(L, 1);
	}
	luaL_argexpected(L, lua_type(L, 1) == LUA_TTABLE, 1, "a response table {status=, headers=, body=}");
	lua_settop(L, 1);
	if (lua_getfield(L, 1, "status") != LUA_TNIL) {
		int ok;

		status = lua_tointegerx(L, -1, &ok);
		if (!ok || status < 100 || status > 599)
			return luaL_error(L, "response status must be an integer from 100 to 599");
	}
	lua_settop(L, 1);
	lua_getfield(L, 1, "body");                          /* 2 */
	body = lua_isnil(L, 2) ? "" : luaL_checklstring(L, 2, &len);
	lua_newtable(L);                                     /* 3: header lines */
	if (lua_getfield(L, 1, "headers") == LUA_TTABLE) {   /* 4 */
		lua_pushnil(L);
		while (lua_next(L, 4)) {
			const char *k, *v;

			if (lua_type(L, -2) != LUA_TSTRING || !lua_isstring(L, -1))
				return luaL_error(L, "response headers must map names to strings");
			k = lua_tolstring(L, -2, &kl);
			v = lua_tolstring(L, -1, &vl);
			if (!kl || bad_field(k, kl) || bad_field(v, vl) || memchr(k, ':', kl))
				return luaL_error(L, "response header '%s': no CR, LF, NUL (or ':' in the name)", k);
			if (strcasecmp(k, "Content-Length") && strcasecmp(k, "Status")) {
				lua_pushfstring(L, "%s: %s\r\n", k, v);
				lua_rawseti(L, 3, ++lines);
			}
			lua_pop(L, 1);
		}
	} else if (!lua_isnil(L, 4)) {
		return luaL_error(L, "response headers must be a table");
	}
	lua_settop(L, 3);
	luaL_buffinit(L, &b);
	lua_pushfstring(L, "Status: %d %s\r\n", (int)status, reason((int)status));
	luaL_addvalue(&b);
	for (int i = 1; i <= lines; i++) {
		lua_rawgeti(L, 3, i);
		luaL_addvalue(&b);
	}
	lua_pushfstring(L, "Content-Length: %I\r\n\r\n", (lua_Integer)len);
	luaL_addvalue(&b);
	luaL_addlstring(&b, body, len);
	luaL_pushresult(&b);
	out = lua_tolstring(L, -1, &outl);
	fflush(stdout);   /* what the handler printed, if anything, goes first */
	if (write(1, out, outl) != (ssize_t)outl)
		return luaL_error(L, "cannot write the response");
	return 0;
}

/* Loads the handler module (its chunk may return the function or define a
 * global `handle`), says ready, then answers the one request. */
static int serve_handler(lua_State *L, const char *path)
{
	struct fn_request r;
	int rc = luaL_loadfile(L, path);

	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 1, 1);
	if (rc != LUA_OK)
		return rc;
	if (!lua_isfunction(L, -1)) {
		lua_pop(L, 1);
		if (lua_getglobal(L, "handle") != LUA_TFUNCTION) {
			lua_pushfstring(L, "%s defines no function handle(req) (nor returns one)", path);
			return LUA_ERRRUN;
		}
	}
	/* A collected heap is a smaller snapshot: fewer pages to restore. */
	lua_gc(L, LUA_GCCOLLECT);
	flint_ready();
	if (fn_read_request(&r) < 0) {
		fn_respond(400, NULL, "bad request\n", 12);
		return LUA_OK;
	}
	lua_pushcfunction(L, push_request);
	lua_pushlightuserdata(L, &r);
	lua_call(L, 1, 1);              /* only memory errors: they end the VM */
	rc = lua_pcall(L, 1, 1, 1);     /* handle(req) */
	if (rc != LUA_OK)
		return rc;
	lua_pushcfunction(L, write_response);
	lua_insert(L, -2);
	return lua_pcall(L, 1, 0, 1);
}

static void run_on_stack(void) { status = run(); }

int main(int argc, char **argv)
{
	const char *mem = cmdline_param("lua.mem");
	char *stack;

	app_argc = argc;
	app_argv = argv;
	if (mem) {
		mem_limit = parse_size(mem);
		if (!mem_limit) {
			fprintf(stderr, "lua: lua.mem=%s: not a size (use bytes or a K, M or G suffix)\n", mem);
			return 2;
		}
	} else {
		/* Three quarters of what the heap can still give. */
		mem_limit = (size_t)(flint_heap_end() - (char *)sbrk(0)) / 4 * 3;
	}
	stack = malloc(STACK_BYTES);
	if (!stack) {
		fputs("lua: no memory for the interpreter's stack\n", stderr);
		return 1;
	}
	/* Switch to the big stack for the interpreter, and back. */
	__asm__ volatile("mov %%rsp, %%rbx\n\t"
			 "mov %0, %%rsp\n\t"
			 "call *%1\n\t"
			 "mov %%rbx, %%rsp"
			 :
			 : "r"(((uintptr_t)stack + STACK_BYTES) & ~(uintptr_t)15), "r"(run_on_stack)
			 : "rbx", "rax", "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc",
			   "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
			   "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	free(stack);
	return status;
}
