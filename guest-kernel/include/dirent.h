/* Directory streams on the VFS: opendir/readdir/closedir. */
#ifndef FLINT_DIRENT_H
#define FLINT_DIRENT_H

#include <stdint.h>

#define DT_UNKNOWN 0
#define DT_FIFO    1
#define DT_CHR     2
#define DT_DIR     4
#define DT_BLK     6
#define DT_REG     8
#define DT_LNK     10
#define DT_SOCK    12

struct dirent {
	uint64_t d_ino;
	unsigned char d_type;     /* DT_* */
	char d_name[256];
};

typedef struct flint_dir DIR;

DIR *opendir(const char *path);
struct dirent *readdir(DIR *d);   /* NULL at the end (errno unchanged) or on error (errno set) */
int closedir(DIR *d);

#endif
