#!/usr/bin/env python3
"""Stop-gap labeller: writes tempo (BPM) and note density (onsets/s per latent vector) into the
manifest.json of a folder encoded by `musika encode`, using librosa (pip install librosa).

Until `musika label` exists (Swift tempo/onset estimators), this lets `musika train --condition
tempo density` run on real music. Usage:

    python3 scripts/label_with_librosa.py ENCODED_DIR AUDIO_DIR

AUDIO_DIR is the folder that was encoded (manifest sources are relative to it).
"""
import json
import os
import sys

import librosa
import numpy as np

SAMPLES_PER_VECTOR = 4096  # 16 frames x hop 256
RATE = 44100
WINDOW_SECONDS = 2.0  # density = onsets within +-1 s of the vector's centre, per second


def label(path, vectors):
    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, _ = librosa.beat.beat_track(y=y, sr=sr)
    onsets = librosa.onset.onset_detect(y=y, sr=sr, units="time")
    centres = (np.arange(vectors) + 0.5) * SAMPLES_PER_VECTOR / RATE
    lo = np.searchsorted(onsets, centres - WINDOW_SECONDS / 2)
    hi = np.searchsorted(onsets, centres + WINDOW_SECONDS / 2)
    density = (hi - lo) / WINDOW_SECONDS
    return float(np.atleast_1d(tempo)[0]), [round(float(d), 4) for d in density]


def main():
    encoded, audio = sys.argv[1], sys.argv[2]
    manifest_path = os.path.join(encoded, "manifest.json")
    with open(manifest_path) as f:
        manifest = json.load(f)
    for i, entry in enumerate(manifest["entries"]):
        tempo, density = label(os.path.join(audio, entry["source"]), entry["vectors"])
        entry.setdefault("labels", {})["tempo"] = tempo
        entry["labelSeries"] = {"density": density}
        print(f"[{i + 1}/{len(manifest['entries'])}] {entry['source']}: {tempo:.1f} BPM, "
              f"mean density {np.mean(density):.2f}/s", flush=True)
    tmp = manifest_path + ".partial"
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
    os.replace(tmp, manifest_path)


if __name__ == "__main__":
    main()
