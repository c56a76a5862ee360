#ifndef FLINT_OCI_LOG_H
#define FLINT_OCI_LOG_H

/*
 * Errors go to stderr and, with --log FILE, to that file too (runc's
 * --log-format text or json: callers such as Podman read the last error
 * from it when a command fails).
 */
void log_open(const char *path, int json);
void oci_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void oci_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
