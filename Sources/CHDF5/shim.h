// libhdf5 for Swift: the header, plus small inline helpers for what Swift cannot import from it.
// HDF5's type and flag constants are macros that first initialise the library (H5OPEN), and its
// visiting API changes signature between releases (1.10 on Debian 12, 1.14 later); the helpers
// below are written against the unversioned names, so they compile with either.
#ifndef CHDF5_SHIM_H
#define CHDF5_SHIM_H

#if __has_include(<hdf5.h>)
#include <hdf5.h>
#else
#include <hdf5/serial/hdf5.h>
#endif

/// Stops HDF5 from printing its error stack to stderr: callers turn failures into their own messages.
static inline void chdf5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

/// Opens an existing file read-only; a negative id on failure.
static inline hid_t chdf5_open_read_only(const char *path) { return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }

/// The memory type of a C float: datasets are converted to it on reading, whatever their stored type.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }

/// A variable-length C string memory type (close it with H5Tclose); a negative id on failure.
static inline hid_t chdf5_variable_string_type(void) {
  hid_t type = H5Tcopy(H5T_C_S1);
  if (type >= 0 && H5Tset_size(type, H5T_VARIABLE) < 0) {
    H5Tclose(type);
    return -1;
  }
  return type;
}

typedef void (*chdf5_path_callback)(const char *path, void *context);

typedef struct {
  chdf5_path_callback callback;
  void *context;
} chdf5_visit_state;

static inline herr_t chdf5__visit_link(hid_t group, const char *name, const H5L_info_t *info, void *data) {
  (void)group;
  (void)info;
  chdf5_visit_state *state = (chdf5_visit_state *)data;
  state->callback(name, state->context);
  return 0;
}

/// Calls `callback` with the path (relative to `group`) of every link below `group`, recursively, in
/// name order. Returns a negative value on failure.
static inline herr_t chdf5_visit_paths(hid_t group, chdf5_path_callback callback, void *context) {
  chdf5_visit_state state = {callback, context};
  return H5Lvisit(group, H5_INDEX_NAME, H5_ITER_INC, chdf5__visit_link, &state);
}

#endif
