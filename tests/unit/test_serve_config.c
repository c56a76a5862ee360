/* [serve] keys (vmm/spec/serve_config.c): addresses, durations, sizes, defaults. */
#include <string.h>

#include "check.h"
#include "serve_config.h"

TEST(addresses)
{
	struct serve_addr a;
	char why[200];

	CHECK(serve_parse_addr("127.0.0.1:8080", &a, why, sizeof(why)) == 0);
	CHECK(!a.is_unix && !strcmp(a.host, "127.0.0.1") && a.port == 8080);
	CHECK(serve_parse_addr("[::1]:80", &a, why, sizeof(why)) == 0 && !strcmp(a.host, "::1") && a.port == 80);
	CHECK(serve_parse_addr("unix:/run/fn.sock", &a, why, sizeof(why)) == 0 && a.is_unix &&
	      !strcmp(a.path, "/run/fn.sock"));
	/* no wildcard unless written */
	CHECK(serve_parse_addr(":8080", &a, why, sizeof(why)) < 0);
	CHECK_CONTAINS(why, "0.0.0.0:PORT");
	CHECK(serve_parse_addr("0.0.0.0:8080", &a, why, sizeof(why)) == 0);
	CHECK(serve_parse_addr("h:0", &a, why, sizeof(why)) < 0);
	CHECK(serve_parse_addr("h:65536", &a, why, sizeof(why)) < 0);
	CHECK(serve_parse_addr("h:80x", &a, why, sizeof(why)) < 0);
	CHECK(serve_parse_addr("::1:80", &a, why, sizeof(why)) < 0);
	CHECK(serve_parse_addr("unix:", &a, why, sizeof(why)) < 0);
}

TEST(durations)
{
	uint64_t ns;
	const char *why;

	CHECK(serve_parse_duration("500ms", &ns, &why) == 0 && ns == 500000000ull);
	CHECK(serve_parse_duration("10s", &ns, &why) == 0 && ns == 10000000000ull);
	CHECK(serve_parse_duration("250us", &ns, &why) == 0 && ns == 250000ull);
	CHECK(serve_parse_duration("2m", &ns, &why) == 0 && ns == 120000000000ull);
	CHECK(serve_parse_duration("5", &ns, &why) < 0);
	CHECK_CONTAINS(why, "unit");
	CHECK(serve_parse_duration("0s", &ns, &why) < 0);
	CHECK(serve_parse_duration("-1s", &ns, &why) < 0);
	CHECK(serve_parse_duration("2h", &ns, &why) < 0);
	CHECK(serve_parse_duration("99999999999999999999s", &ns, &why) < 0);
}

TEST(keys_and_defaults)
{
	struct serve_config s;
	char why[200];

	serve_config_defaults(&s);
	CHECK(s.pool == 8 && serve_max_vms(&s) == 32 && s.snapshot && s.max_body == 1u << 20 &&
	      s.max_output == 4u << 20 && s.timeout_ns == 10000000000ull);
	CHECK(!serve_set_pool(&s, "0", why, sizeof(why)) && serve_max_vms(&s) == 4);
	CHECK(serve_set_pool(&s, "1025", why, sizeof(why)));
	CHECK(!serve_set_max_vms(&s, "3", why, sizeof(why)) && serve_max_vms(&s) == 3);
	CHECK(serve_set_max_vms(&s, "0", why, sizeof(why)));
	CHECK(!serve_set_max_body(&s, "4K", why, sizeof(why)) && s.max_body == 4096);
	CHECK(serve_set_max_body(&s, "2G", why, sizeof(why)));
	CHECK(serve_set_max_output(&s, "0", why, sizeof(why)));
	CHECK(!serve_set_snapshot(&s, "off", why, sizeof(why)) && !s.snapshot);
	CHECK(serve_set_snapshot(&s, "maybe", why, sizeof(why)));
	CHECK(!serve_set_listen(&s, "unix:/x", why, sizeof(why)) && !strcmp(s.listen, "unix:/x"));
	serve_config_free(&s);
}

CHECK_MAIN()
