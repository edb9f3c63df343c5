// Tensor handles: creation from Swift buffers, data access, metadata, dtype/device moves, in-place updates.
#include <cstring>
#include <sstream>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

using ctorch::unwrap;

std::atomic<int64_t> ctorch::live_tensors{0};

extern "C" {

void ct_tensor_free(ct_tensor t) {
  if (t == nullptr) return;
  delete t;
  ctorch::live_tensors.fetch_sub(1, std::memory_order_relaxed);
}

int64_t ct_tensor_live_count(void) { return ctorch::live_tensors.load(std::memory_order_relaxed); }

int ct_tensor_from_data(ct_tensor *out, const void *data, const int64_t *shape, int64_t ndim, int dtype) {
  CT_TENSOR_OP(out, ([&] {
                 auto sizes = ctorch::ints(shape, ndim);
                 auto t = at::empty(sizes, ctorch::options(dtype, CT_DEVICE_CPU));
                 size_t nbytes = t.nbytes();
                 if (nbytes > 0) {
                   if (data == nullptr) throw std::invalid_argument("data pointer was NULL");
                   std::memcpy(t.data_ptr(), data, nbytes);
                 }
                 return t;
               }()))
}

int ct_tensor_map_file(ct_tensor *out, const char *path, const int64_t *shape, int64_t ndim, int dtype) {
  CT_TENSOR_OP(out, ([&] {
                 if (path == nullptr) throw std::invalid_argument("path was NULL");
                 auto sizes = ctorch::ints(shape, ndim);
                 auto options = ctorch::options(dtype, CT_DEVICE_CPU);
                 int64_t count = 1;
                 for (auto d : sizes) count *= d;
                 const size_t nbytes = static_cast<size_t>(count) * options.dtype().itemsize();
                 int fd = ::open(path, O_RDONLY | O_CLOEXEC);
                 if (fd < 0) throw std::runtime_error(std::string("cannot open ") + path + ": " + std::strerror(errno));
                 struct stat info;
                 if (::fstat(fd, &info) != 0 || static_cast<size_t>(info.st_size) != nbytes) {
                   ::close(fd);
                   throw std::runtime_error(std::string(path) + " holds " + std::to_string(info.st_size) +
                                            " bytes, not the " + std::to_string(nbytes) + " of the shape asked");
                 }
                 if (nbytes == 0) {
                   ::close(fd);
                   return at::empty(sizes, options);
                 }
                 // Private and copy-on-write: the file is never written, and pages the kernel may drop
                 // and read again count as cache, not as the process's own memory.
                 void *base = ::mmap(nullptr, nbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
                 ::close(fd);
                 if (base == MAP_FAILED) throw std::runtime_error(std::string("cannot map ") + path + ": " + std::strerror(errno));
                 return at::from_blob(base, sizes, [nbytes](void *p) { ::munmap(p, nbytes); }, options);
               }()))
}

int ct_tensor_copy_to(ct_tensor t, void *dst, size_t nbytes) {
  CT_PROTECT(auto cpu = unwrap(t).detach().to(at::kCPU).contiguous();
             if (cpu.nbytes() != nbytes) throw std::invalid_argument(
                 "buffer holds " + std::to_string(nbytes) + " bytes but the tensor has " +
                 std::to_string(cpu.nbytes()));
             if (nbytes > 0 && dst == nullptr) throw std::invalid_argument("destination was NULL");
             if (nbytes > 0) std::memcpy(dst, cpu.data_ptr(), nbytes))
}

int ct_tensor_ndim(ct_tensor t, int64_t *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).dim()) }

int ct_tensor_shape(ct_tensor t, int64_t *out) {
  CT_PROTECT(ctorch::require_output(out); auto sizes = unwrap(t).sizes(); for (size_t i = 0; i < sizes.size(); i++) out[i] = sizes[i])
}

int ct_tensor_dtype(ct_tensor t, int *out) { CT_PROTECT(ctorch::require_output(out); *out = ctorch::dtype_code(unwrap(t).scalar_type())) }

int ct_tensor_device(ct_tensor t, int *out) { CT_PROTECT(ctorch::require_output(out); *out = ctorch::device_code(unwrap(t).device())) }

int ct_tensor_numel(ct_tensor t, int64_t *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).numel()) }

int ct_tensor_item_double(ct_tensor t, double *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).item<double>()) }

int ct_tensor_item_int64(ct_tensor t, int64_t *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).item<int64_t>()) }

int ct_tensor_defined(ct_tensor t, int *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).defined() ? 1 : 0) }

int ct_tensor_shallow_clone(ct_tensor *out, ct_tensor t) { CT_TENSOR_OP(out, unwrap(t)) }

int ct_tensor_clone(ct_tensor *out, ct_tensor t) { CT_TENSOR_OP(out, unwrap(t).clone()) }

int ct_tensor_detach(ct_tensor *out, ct_tensor t) { CT_TENSOR_OP(out, unwrap(t).detach()) }

int ct_tensor_to(ct_tensor *out, ct_tensor t, int dtype, int device) {
  CT_TENSOR_OP(out, ([&] {
                 auto x = unwrap(t);
                 auto type = dtype == CT_KEEP ? x.scalar_type() : ctorch::scalar_type(dtype);
                 auto dev = device == CT_KEEP ? x.device() : ctorch::device(device);
                 return x.to(dev, type);
               }()))
}

int ct_tensor_contiguous(ct_tensor *out, ct_tensor t) { CT_TENSOR_OP(out, unwrap(t).contiguous()) }

int ct_tensor_requires_grad(ct_tensor t, int *out) { CT_PROTECT(ctorch::require_output(out); *out = unwrap(t).requires_grad() ? 1 : 0) }

int ct_tensor_set_requires_grad(ct_tensor t, int requires_grad) {
  CT_PROTECT(auto x = unwrap(t); x.set_requires_grad(requires_grad != 0))
}

int ct_tensor_grad(ct_tensor *out, ct_tensor t) {
  CT_PROTECT(ctorch::require_output(out); auto g = unwrap(t).grad(); *out = g.defined() ? ctorch::wrap(g) : nullptr)
}

int ct_tensor_zero_grad(ct_tensor t) {
  CT_PROTECT(auto x = unwrap(t); x.mutable_grad() = at::Tensor())
}

int ct_tensor_copy_(ct_tensor dst, ct_tensor src) {
  CT_PROTECT(at::NoGradGuard guard; auto d = unwrap(dst); d.copy_(unwrap(src)))
}

int ct_tensor_set_data(ct_tensor dst, ct_tensor src) {
  // set_data keeps the version counter; bump it so caches keyed on the version see the change.
  CT_PROTECT(auto d = unwrap(dst); d.set_data(unwrap(src)); d.unsafeGetTensorImpl()->bump_version())
}

int ct_tensor_fill_(ct_tensor t, double value) {
  CT_PROTECT(at::NoGradGuard guard; auto x = unwrap(t); x.fill_(value))
}

int ct_tensor_description(ct_tensor t, char **out) {
  CT_PROTECT(ctorch::require_output(out); std::ostringstream s; s << unwrap(t); *out = strdup(s.str().c_str()))
}

int ct_tensor_full(ct_tensor *out, const int64_t *shape, int64_t ndim, double value, int dtype, int device) {
  CT_TENSOR_OP(out, at::full(ctorch::ints(shape, ndim), value, ctorch::options(dtype, device)))
}

int ct_tensor_arange(ct_tensor *out, double start, double end, double step, int dtype, int device) {
  CT_TENSOR_OP(out, at::arange(start, end, step, ctorch::options(dtype, device)))
}

int ct_tensor_linspace(ct_tensor *out, double start, double end, int64_t steps, int dtype, int device) {
  CT_TENSOR_OP(out, at::linspace(start, end, steps, ctorch::options(dtype, device)))
}

}  // extern "C"
