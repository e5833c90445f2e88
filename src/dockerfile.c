#include "autoconf.h"
#include "dockerfile.h"
