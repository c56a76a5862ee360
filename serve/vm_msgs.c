/* What a VM says besides its response (vm_msgs.h). */
#include "vm_msgs.h"

#include <string.h>

enum ready_msg ready_parse(struct ready_parser *p, unsigned char b, uint64_t *generation, int *status)
{
	if (p->n == 0 && b != 'R' && b != 'E')
		return READY_MSG_NONE;
	p->buf[p->n++] = b;
	if (p->buf[0] == 'E' && p->n == 2) {
		p->n = 0;
		*status = p->buf[1];
		return READY_MSG_EXIT;
	}
	if (p->buf[0] == 'R' && p->n == 9) {
		uint64_t g = 0;

		for (int i = 8; i >= 1; i--)
			g = g << 8 | p->buf[i];
		p->n = 0;
		*generation = g;
		return READY_MSG_READY;
	}
	return READY_MSG_NONE;
}

void vm_log_feed(struct vm_log *l, const char *buf, size_t n, vm_log_emit *emit, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\n') {
			emit(ctx, l->line, l->len, l->cut);
			l->len = 0;
			l->cut = false;
			continue;
		}
		if (l->len == sizeof(l->line)) {
			l->cut = true;
			continue;
		}
		/* Tabs stay; CR, escapes and every other control become '?'. */
		l->line[l->len++] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
}

void vm_log_flush(struct vm_log *l, vm_log_emit *emit, void *ctx)
{
	if (l->len || l->cut)
		emit(ctx, l->line, l->len, l->cut);
	l->len = 0;
	l->cut = false;
}
