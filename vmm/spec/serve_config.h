/*
 * The [serve] section of a Flint INI (`flint serve CONFIG`, docs/SERVE.md):
 * its values and each key's check.  config.c calls the setters; the
 * server reads the struct.  `flint run` ignores the section.
 */
#ifndef FLINT_SERVE_CONFIG_H
#define FLINT_SERVE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVE_POOL_DEFAULT 8
#define SERVE_POOL_MAX 1024
#define SERVE_MAX_VMS_MAX 4096
#define SERVE_TIMEOUT_DEFAULT_NS (10ull * 1000000000ull)
#define SERVE_MAX_BODY_DEFAULT (1ull << 20)
#define SERVE_MAX_OUTPUT_DEFAULT (4ull << 20)
#define SERVE_SIZE_MAX (1ull << 30)  /* both sizes: the server holds them in memory */

struct serve_config {
	bool present;            /* the file has a [serve] section */
	char *listen;            /* "HOST:PORT" or "unix:PATH" (required for serve) */
	char *metrics_listen;    /* the same forms; NULL: no metrics endpoint */
	unsigned pool;           /* ready VMs kept, 0..SERVE_POOL_MAX */
	unsigned max_vms;        /* 0: 4 x pool (at least 1) */
	uint64_t timeout_ns;
	uint64_t max_body, max_output;
	bool snapshot;           /* snapshot = auto (true) | off */
};

void serve_config_defaults(struct serve_config *s);
void serve_config_free(struct serve_config *s);
/* max_vms as configured or its default. */
unsigned serve_max_vms(const struct serve_config *s);

/* Each returns NULL, or why v is refused (static, or written to why). */
const char *serve_set_listen(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_metrics_listen(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_pool(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_max_vms(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_timeout(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_max_body(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_max_output(struct serve_config *s, const char *v, char *why, size_t len);
const char *serve_set_snapshot(struct serve_config *s, const char *v, char *why, size_t len);

/* "500ms", "10s", "2m", "250us": nanoseconds.  -1 with *why on error. */
int serve_parse_duration(const char *v, uint64_t *ns, const char **why);

/*
 * Splits a listen value: *unix_path set for "unix:PATH", else host and
 * port (host without IPv6 brackets).  -1 with a message in why.
 */
struct serve_addr {
	bool is_unix;
	char host[256];
	char path[108];
	unsigned port;
};
int serve_parse_addr(const char *v, struct serve_addr *a, char *why, size_t len);

#endif
