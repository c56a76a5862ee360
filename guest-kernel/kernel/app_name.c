/* Compiled once per app, with FLINT_APP_NAME set by guest.mk. */
#include <flint.h>

const char flint_app_name[] = FLINT_APP_NAME;
