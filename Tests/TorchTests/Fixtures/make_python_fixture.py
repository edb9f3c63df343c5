"""Writes python_written.safetensors with Hugging Face's own `safetensors` package, so the Swift reader
is tested against a file it did not write. Run from this folder: pip install safetensors numpy && python3 make_python_fixture.py
"""
import numpy as np
from safetensors.numpy import save_file

tensors = {
    "decoder.up.0.weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,  # 0, 0.25, …, 1.25
    "half": np.array([1.5, -2.0, 65504.0], dtype=np.float16),
    "steps": np.array([[7, -3], [2**40, 0]], dtype=np.int64),
    "scalar": np.array(3.25, dtype=np.float64),
    "flags": np.array([True, False, True], dtype=np.bool_),
}
save_file(tensors, "python_written.safetensors", metadata={"format": "pt", "made_by": "make_python_fixture.py"})
