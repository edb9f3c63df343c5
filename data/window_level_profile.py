#!/usr/bin/env python3
"""Where a level dip at generator-window boundaries sits: the audio's power along the window.

    python3 data/window_level_profile.py WAV... [--window-vectors 128] [--vector-samples 4096] [--parts 4]

The WAVs are pieces generated from the stream's start (`musika generate --seconds 600 --seed S`), so
generator windows begin every window-vectors × vector-samples samples (128 × 4096 at 22.05 kHz for our
presets: 23.8 s). Their power is pooled by position in the window over all files and all windows after the
first (which has no boundary before it), in steps of 1/parts of a vector, and printed in dB against the
interior (the middle three quarters of the window) for the two vectors on either side of a boundary, then
per vector for the last four and the first four. `musika analyze --model M` gives one figure for the
same dip (within a vector of each boundary); this shows which side of the boundary holds it. Needs numpy.
"""
import argparse
import wave

import numpy as np


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("wavs", nargs="+")
    parser.add_argument("--window-vectors", type=int, default=128)
    parser.add_argument("--vector-samples", type=int, default=4096)
    parser.add_argument("--parts", type=int, default=4, help="steps per vector (default 4)")
    args = parser.parse_args()
    v, w, q = args.vector_samples, args.window_vectors, args.parts
    if v % q:
        parser.error(f"--vector-samples {v} is not a multiple of --parts {q}")
    total, windows = np.zeros(w * q), 0
    for path in args.wavs:
        with wave.open(path) as clip:
            if clip.getsampwidth() != 2:
                parser.error(f"{path}: expected 16-bit PCM (what `musika generate` writes)")
            x = np.frombuffer(clip.readframes(clip.getnframes()), dtype=np.int16).astype(np.float64)
            x = x.reshape(-1, clip.getnchannels())
        power = (x ** 2).mean(axis=1)
        n = len(power) // (v * w)
        if n < 2:
            print(f"{path}: shorter than two windows, left out")
            continue
        power = power[: n * v * w].reshape(n, w * q, v // q).mean(axis=2)
        total += power[1:].sum(axis=0)
        windows += n - 1
    if windows == 0:
        parser.error("no file holds a window boundary")
    profile = total / windows
    interior = profile[(w // 8) * q:(w - w // 8) * q].mean()
    db = 10 * np.log10(np.maximum(profile, 1e-30) / interior)
    by_vector = 10 * np.log10(np.maximum(profile.reshape(w, q).mean(axis=1), 1e-30) / interior)
    print(f"{windows} boundaries; dB against the interior, by 1/{q} vector:")
    print("  before a boundary: " + " ".join(f"{x:+.2f}" for x in db[-2 * q:]))
    print("  after it:          " + " ".join(f"{x:+.2f}" for x in db[:2 * q]))
    print("  by vector, last 4 | first 4: " + " ".join(f"{x:+.2f}" for x in by_vector[-4:]) + " | "
          + " ".join(f"{x:+.2f}" for x in by_vector[:4]))
    print(f"  scatter of the interior's vectors: {by_vector[w // 8:w - w // 8].std():.2f} dB")


if __name__ == "__main__":
    main()
