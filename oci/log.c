/* Error and warning messages (log.h). */
#include "log.h"

#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int log_fd = -1, log_json;

void log_open(const char *path, int json)
{
	log_json = json;
	if (path)
		log_fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
}

static void emit(const char *level, const char *fmt, va_list ap)
{
	char msg[2048];
	time_t now = time(NULL);
	char stamp[64];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fprintf(stderr, "flint-oci: %s%s\n", strcmp(level, "error") ? "warning: " : "", msg);
	if (log_fd < 0)
		return;
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	if (log_json) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", stamp);
		char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;

		if (s)
			dprintf(log_fd, "%s\n", s);
		free(s);
		json_decref(j);
	} else {
		dprintf(log_fd, "time=\"%s\" level=%s msg=\"%s\"\n", stamp, level, msg);
	}
}

void oci_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("error", fmt, ap);
	va_end(ap);
}

void oci_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", fmt, ap);
	va_end(ap);
}
