// Parallel loops on libtorch's own OpenMP threads, for the engine's hand-written kernels.
//
// Why not at::parallel_for: it is a header template whose parallel region is a `#pragma omp
// parallel`, and this library is not compiled with OpenMP (Swift's clang would bring LLVM's libomp,
// a second thread pool beside the libgomp that libtorch links), so here it silently ran serially.
// Instead the region is opened through libgomp's own entry point, GOMP_parallel (what GCC compiles
// the pragma to), resolved from the libgomp that libtorch loaded: a weak reference, so a libtorch
// without libgomp runs the loop serially rather than failing to load.
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>

#include "internal.h"

extern "C" void GOMP_parallel(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags)
    __attribute__((weak));

namespace ctorch {

namespace {

struct Region {
  const std::function<void(int64_t, int64_t)> *body;
  int64_t begin, end, chunk;
  std::atomic<int64_t> next{0};
};

// Each thread of the team takes chunks until none is left (no thread numbers needed).
void run_chunks(void *data) {
  auto *region = static_cast<Region *>(data);
  for (;;) {
    const int64_t start = region->begin + region->chunk * region->next.fetch_add(1);
    if (start >= region->end) return;
    (*region->body)(start, std::min(region->end, start + region->chunk));
  }
}

}  // namespace

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)> &body) {
  if (begin >= end) return;
  const int64_t count = end - begin;
  const int64_t threads =
      std::min<int64_t>(at::get_num_threads(), (count + std::max<int64_t>(grain, 1) - 1) / std::max<int64_t>(grain, 1));
  if (threads <= 1 || GOMP_parallel == nullptr || at::in_parallel_region()) {
    body(begin, end);
    return;
  }
  Region region;
  region.body = &body;
  region.begin = begin;
  region.end = end;
  region.chunk = (count + threads - 1) / threads;
  GOMP_parallel(run_chunks, &region, static_cast<unsigned>(threads), 0);
}

}  // namespace ctorch

int ct_parallel_for(int64_t count, ct_parallel_body body, void *context) {
  CT_PROTECT(if (count < 0) throw std::invalid_argument("task count must not be negative, got " + std::to_string(count));
             if (body == nullptr) throw std::invalid_argument("task body was NULL");
             ctorch::parallel_for(0, count, 1, [&](int64_t begin, int64_t end) {
               for (int64_t i = begin; i < end; i++) body(context, i);
             }))
}
