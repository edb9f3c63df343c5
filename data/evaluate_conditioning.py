#!/usr/bin/env python3
"""Measures how well a conditioned model follows its controls (the figures its model card reports).

    python3 data/evaluate_conditioning.py MODEL_DIR [--seeds 4] [--first-seed 0] [--seconds 20] [--tempo-range 55-200] [--musika PATH]

Tempo models: clips at asked tempi 120, 125, …, 160 BPM (or the model's trained range) × seeds; the
share whose tempo, as `musika analyze` estimates it, is within 4 % of the asked one (and allowing
octave errors). Measure with the --tempo-range the training set was labelled with (`musika label
--tempo-range`), since that range decides which octave of a tempo the model was taught. The chance
level (each clip scored against the other asked tempi) says what a model that ignores its tempo
control would get. Density models: clips at 5 densities across the bulk of the training set
(mean ± 1.2 deviations, or --density-range) × seeds; the Pearson correlation between asked and
measured onsets per second, and how much of the asked span the measured means cover. Also the clips' level (rms), which `musika export --gain-db` can bring to that of the training audio.
"""
import argparse
import array
import json
import math
import os
import subprocess
import tempfile
import wave


def run(musika, *args):
    return subprocess.run([musika, *args], check=True, capture_output=True, text=True).stdout


def rms(path):
    """Root mean square of a 16-bit WAV, full scale 1."""
    with wave.open(path) as clip:
        assert clip.getsampwidth() == 2, f"{path}: expected 16-bit PCM"
        samples = array.array("h", clip.readframes(clip.getnframes()))
    return math.sqrt(sum(x * x for x in samples) / max(len(samples), 1)) / 32768


def pearson(x, y):
    n = len(x)
    mx, my = sum(x) / n, sum(y) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(x, y))
    sxx = sum((a - mx) ** 2 for a in x)
    syy = sum((b - my) ** 2 for b in y)
    return sxy / (sxx * syy) ** 0.5 if sxx > 0 and syy > 0 else float("nan")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=0,
                        help="seeds FIRST … FIRST+SEEDS−1 (default 0): a second, disjoint set of seeds confirms a "
                             "checkpoint that was picked on the first, without the pick's luck")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--tempo-range", default="55-200", help="octave window of `musika analyze` (LOW-HIGH BPM)")
    parser.add_argument("--density-range", help="asked densities LOW-HIGH onsets/s (default: the model's mean ± 1.2 "
                        "deviations, inside the range it saw)")
    parser.add_argument("--musika", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "musika"))
    args = parser.parse_args()
    config = json.load(open(os.path.join(args.model, "config.json")))
    tempo, density = config["conditioning"].get("tempo"), config["conditioning"].get("density")
    levels = []
    with tempfile.TemporaryDirectory() as scratch:
        def measure(seed, extra):
            path = os.path.join(scratch, "clip.wav")
            run(args.musika, "generate", "--model", args.model, "--seconds", str(args.seconds), "--seed", str(seed),
                *extra, "-o", path)
            levels.append(rms(path))
            return json.loads(run(args.musika, "analyze", "--json", "--tempo-range", args.tempo_range, path))

        # Keep the other condition at its training mean.
        base_tempo = ["--tempo", str(round(tempo["mean"], 1))] if tempo else []
        base_density = ["--density", str(round(density["mean"], 2))] if density else []
        if tempo:
            asked = list(range(120, 161, 5)) if tempo["minimum"] <= 120 and tempo["maximum"] >= 160 else \
                [round(tempo["minimum"] + k * (tempo["maximum"] - tempo["minimum"]) / 8) for k in range(9)]
            hits = octave = total = 0
            chance = 0.0  # how often a clip would count as a hit for an asked tempo other than its own
            found_all = []
            for bpm in asked:
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    found = measure(seed, ["--tempo", str(bpm), *base_density])["tempo"]
                    found_all.append(found)
                    total += 1
                    hits += found is not None and abs(found - bpm) / bpm <= 0.04
                    octave += found is not None and any(abs(found * m - bpm) / bpm <= 0.04 for m in (0.5, 1, 2))
                    others = [b for b in asked if b != bpm]
                    chance += sum(found is not None and abs(found - b) / b <= 0.04 for b in others) / len(others)
            print(f"tempo: {hits}/{total} clips within 4 % of the asked tempo ({100 * hits / total:.0f} %), "
                  f"{octave}/{total} allowing octave errors; asked {asked[0]}–{asked[-1]} BPM, {args.seeds} seeds, "
                  f"{args.seconds:g} s clips, "
                  f"tempo folded into {args.tempo_range} BPM")
            print(f"tempo: a model ignoring the asked tempo would score {100 * chance / total:.0f} % (each clip "
                  f"against the other asked tempi); measured tempi {[None if f is None else round(f, 1) for f in found_all]}")
        if density:
            # Five densities across the bulk of the training set (mean ± 1.2 deviations, inside the
            # range seen): the extremes of the range are single rare moments, not a usable control.
            lo = max(density["minimum"], density["mean"] - 1.2 * density["deviation"], 0.1)
            hi = min(density["maximum"], density["mean"] + 1.2 * density["deviation"])
            if args.density_range:
                lo, hi = (float(v) for v in args.density_range.split("-"))
            asked = [round(lo + (hi - lo) * q, 2) for q in (0, 0.25, 0.5, 0.75, 1)]
            xs, ys = [], []
            for value in asked:
                for seed in range(args.first_seed, args.first_seed + args.seeds):
                    result = measure(seed, ["--density", str(value), *base_tempo])
                    xs.append(value)
                    ys.append(len(result["onsets"]) / result["duration"])
            means = [sum(y for x, y in zip(xs, ys) if x == v) / args.seeds for v in asked]
            print(f"density: correlation between asked and measured onsets/s r = {pearson(xs, ys):.3f} "
                  f"({len(xs)} clips); asked {asked} → measured means {[round(m, 2) for m in means]}")
            # The second figure: how much of the asked span the measured means cover.
            print(f"density: measured means span {max(means) - min(means):.2f} onsets/s, "
                  f"{100 * (max(means) - min(means)) / (asked[-1] - asked[0]):.0f} % of the asked span")
        if not tempo and not density:
            print("the model is unconditional: nothing to measure")
        else:
            level = math.sqrt(sum(x * x for x in levels) / len(levels))
            print(f"level: rms {level:.4f} ({20 * math.log10(max(level, 1e-9)):.1f} dBFS) over the {len(levels)} clips")


if __name__ == "__main__":
    main()
