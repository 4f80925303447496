#ifndef TALENT_CTURBOJPEG_SHIM_H
#define TALENT_CTURBOJPEG_SHIM_H
#include <turbojpeg.h>
#endif
