/*
 * argv[0] for apps built outside the tree (the SDK): "app", unless the app
 * defines its own `const char flint_app_name[] = "NAME";`.  In the tree,
 * guest.mk links kernel/app_name.c with the file's name before the
 * archive, so this object is never pulled in; the SDK links the library
 * whole (flint-guest.pc), hence weak.
 */
#include <flint.h>

__attribute__((weak)) const char flint_app_name[] = "app";
