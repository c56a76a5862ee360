/*
 * What a VM's flint says besides its response (serve/vm_msgs.c): the ready
 * socket's messages, split anywhere, and stderr cut into bounded, defused
 * lines.
 */
#include <string.h>

#include "check.h"
#include "vm_msgs.h"

TEST(ready_messages_in_pieces)
{
	static const unsigned char stream[] = { 'x', 'R', 0x6b, 0x77, 0x07, 0xb4, 0xb5, 0xc3, 0x9b, 0x73,
						'?', 'E', 3, 'E', 'E' };
	struct ready_parser p = { .n = 0 };
	uint64_t gen = 0;
	int status = -1, nready = 0, nexit = 0;

	for (size_t i = 0; i < sizeof(stream); i++) {
		switch (ready_parse(&p, stream[i], &gen, &status)) {
		case READY_MSG_READY:
			nready++;
			CHECK(i == 9 && gen == 0x739bc3b5b407776bull);
			break;
		case READY_MSG_EXIT:
			nexit++;
			CHECK(status == (nexit == 1 ? 3 : 'E'));
			break;
		case READY_MSG_NONE:
			break;
		}
	}
	CHECK(nready == 1 && nexit == 2);
}

struct lines {
	char text[8][VM_LOG_LINE_MAX + 8];
	bool cut[8];
	int n;
};

static void collect(void *ctx, const char *line, size_t len, bool cut)
{
	struct lines *l = ctx;

	if (l->n < 8) {
		memcpy(l->text[l->n], line, len);
		l->text[l->n][len] = 0;
		l->cut[l->n++] = cut;
	}
}

TEST(stderr_lines)
{
	struct vm_log log = { .len = 0 };
	struct lines got = { .n = 0 };
	char big[VM_LOG_LINE_MAX + 50];

	vm_log_feed(&log, "hel", 3, collect, &got);
	CHECK(got.n == 0);
	vm_log_feed(&log, "lo\nesc \033[2J\r\tx\x7f\n", 17, collect, &got);
	memset(big, 'y', sizeof(big));
	vm_log_feed(&log, big, sizeof(big), collect, &got);
	vm_log_feed(&log, "\n\nlast", 6, collect, &got);
	CHECK(got.n == 4);
	CHECK(!strcmp(got.text[0], "hello") && !got.cut[0]);
	CHECK(!strcmp(got.text[1], "esc ?[2J?\tx?"));
	CHECK(strlen(got.text[2]) == VM_LOG_LINE_MAX && got.cut[2]);
	CHECK(got.text[3][0] == 0 && !got.cut[3]);
	vm_log_flush(&log, collect, &got);
	CHECK(got.n == 5 && !strcmp(got.text[4], "last"));
	vm_log_flush(&log, collect, &got);
	CHECK(got.n == 5);
}

CHECK_MAIN()
