#ifndef TALENT_CQPDF_SHIM_H
#define TALENT_CQPDF_SHIM_H
#include <qpdf/qpdf-c.h>
#endif
