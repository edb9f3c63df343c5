#!/usr/bin/env python3
"""Checks the labeller against exact labels: onset F-measure (±50 ms) and tempo accuracy.

    python3 data/evaluate_labels.py PIANO_DIR [--musika PATH]

PIANO_DIR is a folder made by data/render_piano.py. Runs `musika analyze --json` on its audio and
compares with the manifest's onsets and tempo. Prints per-piece figures and the totals.
"""
import argparse
import json
import os
import subprocess


def f_measure(found, truth, tolerance=0.05):
    truth = sorted(truth)
    used = [False] * len(truth)
    hits = 0
    j = 0
    for t in sorted(found):
        while j < len(truth) and truth[j] < t - tolerance:
            j += 1
        k = j
        while k < len(truth) and truth[k] <= t + tolerance:
            if not used[k]:
                used[k] = True
                hits += 1
                break
            k += 1
    if not hits:
        return 0.0, 0.0, 0.0
    precision, recall = hits / len(found), hits / len(truth)
    return 2 * precision * recall / (precision + recall), precision, recall


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--musika", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "musika"))
    args = parser.parse_args()
    manifest = json.load(open(os.path.join(args.folder, "manifest.json")))
    entries = manifest["entries"]
    files = [os.path.join(args.folder, e["audio"]) for e in entries]
    out = subprocess.run([args.musika, "analyze", "--json", *files], check=True, capture_output=True, text=True).stdout
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    fs, exact, octave = [], 0, 0
    for entry, result in zip(entries, results):
        f, p, r = f_measure(result["onsets"], entry["onsets"])
        fs.append(f)
        tempo, truth = result["tempo"], entry["tempo"]
        within = tempo is not None and abs(tempo - truth) / truth <= 0.04
        octave_ok = tempo is not None and any(abs(tempo * m - truth) / truth <= 0.04 for m in (0.5, 1, 2))
        exact += within
        octave += octave_ok
        print(f"{entry['source']}: F {f:.3f} (P {p:.3f} R {r:.3f}); tempo {tempo and round(tempo, 1)} vs {truth:.1f}"
              f"{'' if within else ' (octave)' if octave_ok else ' (wrong)'}")
    n = len(entries)
    print(f"{n} pieces: mean onset F-measure {sum(fs) / n:.3f} (±50 ms); tempo within 4 %: {exact}/{n}"
          f" ({100 * exact / n:.0f} %), allowing octave errors: {octave}/{n} ({100 * octave / n:.0f} %)")


if __name__ == "__main__":
    main()
