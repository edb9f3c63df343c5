// Errors, threads, devices, grad mode, and conversions shared by the other files.
#if defined(__linux__)
#include <malloc.h>
#endif
#include <ATen/Parallel.h>
#include <ATen/Version.h>
#include <dlfcn.h>
#include <torch/version.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "internal.h"

namespace ctorch {

thread_local std::string last_error;
thread_local bool has_error = false;

void set_error(const std::string &message) {
  last_error = message;
  has_error = true;
}

at::ScalarType scalar_type(int dtype) {
  switch (dtype) {
    case CT_FLOAT32: return at::kFloat;
    case CT_FLOAT64: return at::kDouble;
    case CT_FLOAT16: return at::kHalf;
    case CT_BFLOAT16: return at::kBFloat16;
    case CT_INT64: return at::kLong;
    case CT_INT32: return at::kInt;
    case CT_UINT8: return at::kByte;
    case CT_BOOL: return at::kBool;
    case CT_COMPLEX64: return at::kComplexFloat;
    case CT_COMPLEX128: return at::kComplexDouble;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(dtype));
}

int dtype_code(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return CT_FLOAT32;
    case at::kDouble: return CT_FLOAT64;
    case at::kHalf: return CT_FLOAT16;
    case at::kBFloat16: return CT_BFLOAT16;
    case at::kLong: return CT_INT64;
    case at::kInt: return CT_INT32;
    case at::kByte: return CT_UINT8;
    case at::kBool: return CT_BOOL;
    case at::kComplexFloat: return CT_COMPLEX64;
    case at::kComplexDouble: return CT_COMPLEX128;
    default: break;
  }
  throw std::invalid_argument(std::string("dtype not supported by ctorch: ") + c10::toString(type));
}

at::Device device(int code) {
  if (code == CT_DEVICE_CPU) return at::Device(at::kCPU);
  if (code >= 0) return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(code));
  throw std::invalid_argument("unknown device code " + std::to_string(code));
}

int device_code(const at::Device &d) {
  if (d.is_cpu()) return CT_DEVICE_CPU;
  if (d.is_cuda()) return d.has_index() ? d.index() : 0;
  throw std::invalid_argument("device not supported by ctorch: " + d.str());
}

// A CUDA build of libtorch registers its CUDA backend from libtorch_cuda.so's static initialisers.
// Linkers drop that library when nothing references it (--as-needed), so load it explicitly from
// the folder that holds libtorch_cpu.so.
static void load_cuda_backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    Dl_info info;
    if (dladdr(reinterpret_cast<void *>(&at::globalContext), &info) == 0 || info.dli_fname == nullptr) return;
    std::string path(info.dli_fname);
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return;
    std::string cuda = path.substr(0, slash + 1) + "libtorch_cuda.so";
    dlopen(cuda.c_str(), RTLD_NOW | RTLD_GLOBAL);  // absent on CPU builds: stays CPU-only
  });
}

}  // namespace ctorch

extern "C" {

const char *ct_last_error(void) { return ctorch::has_error ? ctorch::last_error.c_str() : nullptr; }

void ct_clear_error(void) {
  ctorch::has_error = false;
  ctorch::last_error.clear();
}

void ct_string_free(char *s) { std::free(s); }

const char *ct_torch_version(void) { return TORCH_VERSION; }

int ct_torch_config(char **out) {
  CT_PROTECT(if (out == nullptr) throw std::invalid_argument("output pointer was NULL");
             std::string config = at::show_config() + at::get_parallel_info();
             *out = strdup(config.c_str()))
}

int ct_set_num_threads(int64_t n) {
  CT_PROTECT(if (n < 1) throw std::invalid_argument("thread count must be at least 1, got " + std::to_string(n));
             at::set_num_threads(static_cast<int>(n)))
}

int64_t ct_get_num_threads(void) { return at::get_num_threads(); }

int ct_cuda_is_available(void) {
  try {
    ctorch::load_cuda_backend();
    return at::hasCUDA() && at::getNumGPUs() > 0 ? 1 : 0;
  } catch (...) {
    return 0;
  }
}

int64_t ct_cuda_device_count(void) {
  try {
    ctorch::load_cuda_backend();
    return at::hasCUDA() ? static_cast<int64_t>(at::getNumGPUs()) : 0;
  } catch (...) {
    return 0;
  }
}

void ct_release_free_memory(void) {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

int ct_set_grad_enabled(int enabled) {
  bool previous = at::GradMode::is_enabled();
  at::GradMode::set_enabled(enabled != 0);
  return previous ? 1 : 0;
}

int ct_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }

}  // extern "C"
