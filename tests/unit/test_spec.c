/* Unit tests for vmm/spec.c: the rules, on specs filled in code as a
 * second front end (an OCI config.json) would fill them, with no INI. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "spec.h"

struct seen {
	int n;
	struct spec_problem p[8];
	char why[8][SPEC_WHY_MAX];
};

static void collect(void *ctx, const struct spec_problem *p)
{
	struct seen *s = ctx;

	if (s->n < 8) {
		s->p[s->n] = *p;
		if (p->why) {  /* may point into the checker's buffer: keep a copy */
			snprintf(s->why[s->n], SPEC_WHY_MAX, "%s", p->why);
			s->p[s->n].why = s->why[s->n];
		}
	}
	s->n++;
}

static void base(struct config *s)
{
	CHECK(spec_init(s) == 0);
	s->kernel_path = strdup("/k.elf");
}

/* A [net.NAME] as a front end would add it; the caller sets the rest. */
static struct config_net *add_net(struct config *s, const char *name, const char *tap, unsigned mtu,
				  uint8_t mac0)
{
	struct config_net *n = &s->nets[s->nnets++];

	*n = (struct config_net){ .name = strdup(name), .tap = strdup(tap), .mtu = (uint16_t)mtu,
				  .mac = { mac0, 0, 0, 0, 0, 1 } };
	return n;
}

TEST(defaults_need_only_a_kernel)
{
	struct config s;
	struct seen seen = { 0 };

	CHECK(spec_init(&s) == 0);
	CHECK(spec_check(&s, collect, &seen) == 1);
	CHECK(seen.p[0].kind == SPEC_MISSING && !strcmp(seen.p[0].section, "kernel") &&
	      !strcmp(seen.p[0].key, "path"));
	s.kernel_path = strdup("/k.elf");
	seen.n = 0;
	CHECK(spec_check(&s, collect, &seen) == 0);
	CHECK(!strcmp(spec_where(&s, "kernel", "path", 0), "configuration"));  /* no origin */
	spec_free(&s);
}

TEST(every_bad_value_named_with_its_key_and_index)
{
	struct config s;
	struct seen seen = { 0 };

	base(&s);
	s.memory = 3;
	s.vcpus = 65;
	add_net(&s, "a", "t0", 1500, 0x52);
	add_net(&s, "b", "bad/tap", 20, 0x01);
	CHECK(spec_check(&s, collect, &seen) == 5);
	CHECK(!strcmp(seen.p[0].key, "memory") && seen.p[0].kind == SPEC_BAD_VALUE);
	CHECK_CONTAINS(seen.p[0].why, "must be 4M to 3G");
	CHECK(!strcmp(seen.p[1].key, "vcpus"));
	CHECK_CONTAINS(seen.p[1].why, "must be 1 to 64");
	CHECK(!strcmp(seen.p[2].section, "net") && !strcmp(seen.p[2].key, "tap") && seen.p[2].index == 1);
	CHECK_CONTAINS(seen.p[2].why, "'/' is not allowed");
	CHECK(!strcmp(seen.p[3].key, "mac") && seen.p[3].index == 1);
	CHECK(!strcmp(seen.p[4].key, "mtu") && seen.p[4].index == 1);
	spec_free(&s);
}

TEST(rules_between_keys)
{
	struct config s;
	struct config_net *n;
	struct seen seen = { 0 };

	base(&s);
	n = add_net(&s, "a", "t0", 1500, 2);
	n->has_gateway = true;
	n->gateway = 0x0a000001;
	n = add_net(&s, "b", "t0", 1500, 2);
	n->has_ip = n->has_gateway = true;
	n->ip = 0x0a000002;
	n->prefix = 24;
	n->gateway = 0x0a000102;
	s.ndrives = 1;
	s.drives[0] = (struct config_drive){ .name = strdup("d") };
	CHECK(spec_check(&s, collect, &seen) == 4);
	CHECK(seen.p[0].kind == SPEC_MISSING && !strcmp(seen.p[0].section, "drive"));
	CHECK(seen.p[1].kind == SPEC_CONFLICT && seen.p[1].index == 0);
	CHECK_CONTAINS(seen.p[1].why, "gateway needs ip");
	CHECK_CONTAINS(seen.p[2].why, "gateway = 10.0.1.2: outside the guest's network 10.0.0.0/24");
	CHECK(!strcmp(seen.p[3].key, "tap") && seen.p[3].index == 1);
	CHECK_CONTAINS(seen.p[3].why, "tap = t0: already used by [net.a]");
	spec_free(&s);
}

TEST(single_value_rules)
{
	char buf[SPEC_WHY_MAX];

	CHECK(spec_memory_why(64ull << 20, buf) == NULL);
	CHECK(spec_memory_why((64ull << 20) + 1, buf) != NULL);
	CHECK(spec_vcpus_why(0, buf) != NULL && spec_vcpus_why(64, buf) == NULL);
	CHECK(spec_name_why("ok_name-1", buf) == NULL && spec_name_why("", buf) != NULL);
	CHECK(spec_tap_why("tap0", buf) == NULL && spec_tap_why("..", buf) != NULL);
	CHECK(spec_ip_why(0x0a000000, 24) != NULL && spec_ip_why(0x0a000002, 24) == NULL);
	CHECK(spec_id_why(4294967295ull) != NULL && spec_id_why(0) == NULL);
	CHECK(spec_cmdline_why(4001, buf) != NULL && spec_cmdline_why(4000, buf) == NULL);
}

CHECK_MAIN()
