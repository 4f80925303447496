#ifndef TALENT_CLIBPQ_SHIM_H
#define TALENT_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
