// Loads the tensor engine (libMusikaTorchEngine, the C API over libtorch) on the first call into it.
//
// Why: libtorch's static initialisers register thousands of operators, most of a second that
// `musika --help`, `--version` and every argument error would otherwise wait for. The engine sits
// beside the binary that uses it (SwiftPM builds both into one folder); MUSIKA_TORCH_ENGINE names
// another path (e.g. a CUDA build). Each forwarder keeps its function after the first lookup.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "TorchLoader.h"

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#define ENGINE_FILE "libMusikaTorchEngine.dylib"
#else
#define ENGINE_FILE "libMusikaTorchEngine.so"
#endif

static void *engine;
static char engine_path[PATH_MAX + 64];
static pthread_once_t engine_once = PTHREAD_ONCE_INIT;

// The folder of the running executable, with a trailing slash ("" when unknown).
static void executable_folder(char *out, size_t size) {
  char path[PATH_MAX];
  out[0] = 0;
#if defined(__APPLE__)
  uint32_t length = sizeof path;
  if (_NSGetExecutablePath(path, &length) != 0) return;
#else
  ssize_t length = readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0) return;
  path[length] = 0;
#endif
  char *slash = strrchr(path, '/');
  if (!slash) return;
  slash[1] = 0;
  snprintf(out, size, "%s", path);
}

// OpenBLAS picks its kernels by CPU model, and a virtual CPU it does not recognise (a cloud VM's
// "Intel Xeon Processor") gets its oldest x86-64 kernels, Prescott's SSE3: measured on a 2-core
// AVX-512 VM, sgemm 24 GFLOP/s per core instead of 111 with SkylakeX's. Name the kernel family from
// the CPU's instruction-set flags instead, before libtorch loads OpenBLAS; a user's
// OPENBLAS_CORETYPE wins. (SkylakeX and Haswell are the sgemm kernels OpenBLAS itself uses for every
// newer AVX-512 and AVX2 core; a CPU it knows, e.g. Cooper Lake, would also get its bf16 sbgemm, which
// libtorch does not call. Debian's OpenBLAS 0.3.21 does not accept "Cooperlake" here.) A constructor,
// so that setenv runs before main, while the process has one thread.
__attribute__((constructor)) static void choose_openblas_kernels(void) {
#if defined(__linux__) && defined(__x86_64__)
  if (getenv("OPENBLAS_CORETYPE")) return;
  FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
  if (!cpuinfo) return;
  char line[8192];
  const char *core = NULL;
  while (fgets(line, sizeof line, cpuinfo)) {
    if (strncmp(line, "flags", 5) != 0) continue;
    char *newline = strchr(line, '\n');
    if (newline) *newline = ' ';  // every flag is then " name "
    int avx512 = 1;
    const char *needed[] = {" avx512f", " avx512cd", " avx512bw", " avx512dq", " avx512vl"};
    for (size_t i = 0; i < sizeof needed / sizeof needed[0]; i++) {
      char word[32];
      snprintf(word, sizeof word, "%s ", needed[i]);
      if (!strstr(line, word)) avx512 = 0;
    }
    if (avx512) core = "SkylakeX";
    else if (strstr(line, " avx2 ") && strstr(line, " fma ")) core = "Haswell";
    break;
  }
  fclose(cpuinfo);
  if (core) setenv("OPENBLAS_CORETYPE", core, 0);
#endif
}

static void load_engine(void) {
  const char *override = getenv("MUSIKA_TORCH_ENGINE");
  if (override && *override) {
    snprintf(engine_path, sizeof engine_path, "%s", override);
  } else {
    char folder[PATH_MAX];
    executable_folder(folder, sizeof folder);
    snprintf(engine_path, sizeof engine_path, "%s%s", folder, ENGINE_FILE);
  }
  engine = dlopen(engine_path, RTLD_NOW | RTLD_LOCAL);
  if (!engine) {
    fprintf(stderr,
            "musika: cannot load its tensor engine %s: %s\n"
            "It is built beside the musika binary (`./musika` builds both; by hand: swift build -c release "
            "--product MusikaTorchEngine). Set MUSIKA_TORCH_ENGINE=PATH to use another build.\n",
            engine_path, dlerror());
    exit(70);
  }
}

void *ct_engine_symbol(ct_engine_slot *slot, const char *name) {
  void *function = atomic_load_explicit(slot, memory_order_acquire);
  if (function) return function;
  pthread_once(&engine_once, load_engine);
  function = dlsym(engine, name);
  if (!function) {
    fprintf(stderr,
            "musika: the tensor engine %s has no %s: it is older than this binary; rebuild both "
            "(`./musika` does)\n",
            engine_path, name);
    exit(70);
  }
  atomic_store_explicit(slot, function, memory_order_release);
  return function;
}
