#ifndef FLINT_OCI_COMMANDS_H
#define FLINT_OCI_COMMANDS_H

/* Each runc command; argv[0] is the command's name.  Return the exit status. */
struct globals {
	const char *root;
	const char *log; /* --log FILE, NULL if none */
	int log_json;    /* --log-format json */
};

int cmd_create(const struct globals *g, int argc, char **argv);
int cmd_start(const struct globals *g, int argc, char **argv);
int cmd_state(const struct globals *g, int argc, char **argv);
int cmd_kill(const struct globals *g, int argc, char **argv);
int cmd_delete(const struct globals *g, int argc, char **argv);
int cmd_ps(const struct globals *g, int argc, char **argv);
int cmd_pause(const struct globals *g, int argc, char **argv);
int cmd_features(const struct globals *g, int argc, char **argv);

#endif
