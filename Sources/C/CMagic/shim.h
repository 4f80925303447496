#ifndef TALENT_CMAGIC_SHIM_H
#define TALENT_CMAGIC_SHIM_H
#include <magic.h>
#endif
