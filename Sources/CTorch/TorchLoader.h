// The tensor engine's loader, used by the generated forwarders in loader.c.
#ifndef MUSIKA_TORCH_LOADER_H
#define MUSIKA_TORCH_LOADER_H

/// The engine's function `name` (forwarder number `index`), loading the engine on first use. Exits
/// with a message naming the engine's path and the fix if it cannot be loaded.
void *ct_engine_symbol(int index, const char *name);

#endif
