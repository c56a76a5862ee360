/* [serve] keys (serve_config.h). */
#include "serve_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

void serve_config_defaults(struct serve_config *s)
{
	*s = (struct serve_config){ .pool = SERVE_POOL_DEFAULT, .timeout_ns = SERVE_TIMEOUT_DEFAULT_NS,
		.max_body = SERVE_MAX_BODY_DEFAULT, .max_output = SERVE_MAX_OUTPUT_DEFAULT,
		.snapshot = true };
}

void serve_config_free(struct serve_config *s)
{
	free(s->listen);
	free(s->metrics_listen);
	s->listen = s->metrics_listen = NULL;
}

unsigned serve_max_vms(const struct serve_config *s)
{
	if (s->max_vms)
		return s->max_vms;
	return s->pool ? 4 * s->pool : 4;
}

int serve_parse_addr(const char *v, struct serve_addr *a, char *why, size_t len)
{
	const char *colon, *host = v;
	size_t hlen;
	char *end;
	unsigned long port;

	memset(a, 0, sizeof(*a));
	if (!strncmp(v, "unix:", 5)) {
		if (!v[5] || strlen(v + 5) >= sizeof(a->path)) {
			snprintf(why, len, "unix:PATH needs a path of 1 to %zu bytes", sizeof(a->path) - 1);
			return -1;
		}
		a->is_unix = true;
		strcpy(a->path, v + 5);
		return 0;
	}
	if (*v == '[') {
		const char *close = strchr(v, ']');

		if (!close || close[1] != ':') {
			snprintf(why, len, "expected [IPv6]:PORT, HOST:PORT or unix:PATH");
			return -1;
		}
		host = v + 1;
		hlen = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = strrchr(v, ':');
		if (!colon || strchr(v, ':') != colon) {
			snprintf(why, len, "expected HOST:PORT (e.g. 127.0.0.1:8080), [IPv6]:PORT or unix:PATH");
			return -1;
		}
		hlen = (size_t)(colon - v);
	}
	/* No default host: a wildcard address is bound only when written. */
	if (!hlen || hlen >= sizeof(a->host)) {
		snprintf(why, len, "the host is missing (write 127.0.0.1:PORT, or 0.0.0.0:PORT to "
			 "listen on every interface)");
		return -1;
	}
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port == 0 || port > 65535) {
		snprintf(why, len, "the port must be a number from 1 to 65535");
		return -1;
	}
	memcpy(a->host, host, hlen);
	a->port = (unsigned)port;
	return 0;
}

static const char *set_addr(char **dst, const char *v, char *why, size_t len)
{
	struct serve_addr a;

	if (serve_parse_addr(v, &a, why, len) < 0)
		return why;
	free(*dst);
	*dst = strdup(v);
	return *dst ? NULL : "out of memory";
}

const char *serve_set_listen(struct serve_config *s, const char *v, char *why, size_t len)
{
	return set_addr(&s->listen, v, why, len);
}

const char *serve_set_metrics_listen(struct serve_config *s, const char *v, char *why, size_t len)
{
	return set_addr(&s->metrics_listen, v, why, len);
}

static const char *set_count(unsigned *dst, const char *v, unsigned lo, unsigned hi, char *why, size_t len)
{
	char *end;
	unsigned long n = strtoul(v, &end, 10);

	if (!*v || *end || *v == '-' || n < lo || n > hi) {
		snprintf(why, len, "expected a whole number from %u to %u", lo, hi);
		return why;
	}
	*dst = (unsigned)n;
	return NULL;
}

const char *serve_set_pool(struct serve_config *s, const char *v, char *why, size_t len)
{
	return set_count(&s->pool, v, 0, SERVE_POOL_MAX, why, len);
}

const char *serve_set_max_vms(struct serve_config *s, const char *v, char *why, size_t len)
{
	return set_count(&s->max_vms, v, 1, SERVE_MAX_VMS_MAX, why, len);
}

int serve_parse_duration(const char *v, uint64_t *ns, const char **why)
{
	static const struct { const char *unit; uint64_t ns; } units[] = {
		{ "us", 1000ull }, { "ms", 1000000ull }, { "s", 1000000000ull }, { "m", 60000000000ull },
	};
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (end == v || *v == '-') {
		*why = "expected a number with a unit, e.g. 500ms or 10s";
		return -1;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (n == 0 || __builtin_mul_overflow(n, units[i].ns, ns) || *ns > 3600000000000ull) {
				*why = "must be more than 0 and at most 1 hour";
				return -1;
			}
			return 0;
		}
	*why = "unknown or missing unit (use us, ms, s or m, e.g. 500ms)";
	return -1;
}

const char *serve_set_timeout(struct serve_config *s, const char *v, char *why, size_t len)
{
	const char *w;

	(void)why, (void)len;
	return serve_parse_duration(v, &s->timeout_ns, &w) < 0 ? w : NULL;
}

static const char *set_size(uint64_t *dst, const char *v, char *why, size_t len)
{
	const char *w;
	uint64_t n;

	if (config_parse_size(v, &n, &w) < 0)
		return w;
	if (n > SERVE_SIZE_MAX) {
		snprintf(why, len, "at most 1G (the server holds it in memory)");
		return why;
	}
	*dst = n;
	return NULL;
}

const char *serve_set_max_body(struct serve_config *s, const char *v, char *why, size_t len)
{
	return set_size(&s->max_body, v, why, len);
}

const char *serve_set_max_output(struct serve_config *s, const char *v, char *why, size_t len)
{
	const char *w = set_size(&s->max_output, v, why, len);

	if (!w && s->max_output == 0)
		return "must be more than 0 (a response needs at least its blank line)";
	return w;
}

const char *serve_set_snapshot(struct serve_config *s, const char *v, char *why, size_t len)
{
	(void)why, (void)len;
	if (!strcmp(v, "auto"))
		s->snapshot = true;
	else if (!strcmp(v, "off"))
		s->snapshot = false;
	else
		return "expected auto (restore every VM from a snapshot made at flint_ready()) or off "
		       "(boot every VM)";
	return NULL;
}
