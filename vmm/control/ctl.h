/* `flint ctl`: a one-command QMP client in the flint binary. */
#ifndef FLINT_CTL_H
#define FLINT_CTL_H

/* argv[0] = SOCKET, argv[1] = COMMAND, argv[2] = ARGS-JSON (optional).
 * Returns the exit status: 0 return, 1 error, 2 usage. */
int ctl_main(int argc, char **argv);

#endif
