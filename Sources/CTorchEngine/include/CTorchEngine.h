// The engine implements the C API that Sources/CTorch declares (and forwards to it at run time).
#include "../../CTorch/include/ctorch.h"
