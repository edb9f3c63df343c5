"""Reading and writing safetensors files with numpy alone, for the tools in this folder.

Why not Hugging Face's `safetensors` package: one more install, and it writes the metadata in hash
order, which changes from run to run; fixtures must be reproducible byte for byte. Here the header
holds the metadata (keys sorted) and then the tensors, sorted by name; the data is aligned to 8 bytes
as the format asks. Files are written to a temporary name and renamed, so a crash leaves none half
written.
"""
import json
import os
import struct

import numpy as np

DTYPES = {"F32": "<f4", "F64": "<f8", "I64": "<i8"}
NAMES = {dtype: name for name, dtype in DTYPES.items()}


def read_safetensors(path):
    """(tensors by name as numpy arrays, metadata dict or None). Exits naming the file and the tensor when
    it holds a dtype these tools do not handle."""
    with open(path, "rb") as f:
        length = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(length))
        data = f.read()
    metadata = header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        if entry["dtype"] not in DTYPES:
            raise SystemExit(f"{path}: tensor {name} is {entry['dtype']}; these tools read {', '.join(DTYPES)}")
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"]).copy()
    return tensors, metadata


def write_safetensors(tensors, path, metadata=None):
    """Each array is stored in its own dtype (float32, float64 or int64, little-endian)."""
    # asarray, not ascontiguousarray: that one turns a scalar (shape []) into shape [1].
    arrays = {name: np.asarray(tensors[name], order="C") for name in sorted(tensors)}
    header, offset = {}, 0
    if metadata is not None:
        header["__metadata__"] = dict(sorted(metadata.items()))
    for name, array in arrays.items():
        dtype = array.dtype.newbyteorder("<").str
        if dtype not in NAMES:
            raise ValueError(f"{name}: {array.dtype} is not one of {', '.join(DTYPES)}")
        header[name] = {"dtype": NAMES[dtype], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path + ".tmp", "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for array in arrays.values():
            f.write(array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes())
    os.replace(path + ".tmp", path)
