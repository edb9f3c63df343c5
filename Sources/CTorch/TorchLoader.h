// The tensor engine's loader, used by the generated forwarders in loader.c.
#ifndef MUSIKA_TORCH_LOADER_H
#define MUSIKA_TORCH_LOADER_H

#include <stdatomic.h>

/// Where a forwarder keeps its engine function once looked up (each forwarder has its own).
typedef _Atomic(void *) ct_engine_slot;

/// The engine's function `name`, from `slot` or looked up into it, loading the engine on first use.
/// Exits with a message naming the engine's path and the fix if it cannot be loaded.
void *ct_engine_symbol(ct_engine_slot *slot, const char *name);

#endif
