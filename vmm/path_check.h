/* Whether a file could be made at a path, asked without making it (`flint check`). */
#ifndef FLINT_PATH_CHECK_H
#define FLINT_PATH_CHECK_H

/*
 * 0 if a new entry could be created at path (a socket bound, a file
 * opened with O_CREAT): its folder exists, is a folder, and this process
 * may write and search it (access(2): a read-only file system says EROFS).
 * Otherwise the errno the creation would most likely fail with.
 */
int path_creatable(const char *path);

#endif
