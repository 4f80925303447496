#ifndef TALENT_CSPAWN_SHIM_H
#define TALENT_CSPAWN_SHIM_H
// glibc (2.34+) declares posix_spawn_file_actions_addclosefrom_np only under __USE_MISC, which the
// Swift Glibc module is built without: declare it here so spawned children inherit no stray descriptors.
#include <spawn.h>

extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#endif
