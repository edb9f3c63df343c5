#!/usr/bin/env python3
"""Generation speed of the original Musika and of ours, measured side by side on this machine.

    python3 bench/side_by_side.py --original DIR --python VENV/bin/python [--rounds 3] [--seconds 60]

The original: its public code (github.com/marcoppasini/musika at commit b1e6e79, checked out in DIR),
TensorFlow 2.15 CPU from PyPI, full size (its 44.1 kHz universal codec and techno-size generator) with
random weights (speed does not depend on what the weights learned; nothing is downloaded: the
Hugging Face and gradio imports on its generation path are stubbed, its model code is not touched),
timed around its own `Utils_functions.generate` (noise, generator, both decoders, the WAV write), after
one warm-up. Ours: `musika bench generate` (musika-44k with random weights, a stream end to end), with
the phase from DEC's phase head as the original (`--phase-from decoder`, the default), integrated from
the magnitude as the bundled models play (`magnitude`), or `both` in each round. The two programs
alternate, `--rounds` times each, minutes apart at most, so a noisy machine hits both alike.

It prints each round and then, from the best round of each (the least disturbed), both real-time
factors and their ratio, per requested second (what a user asks for) and per produced second (the
original renders whole 23.8 s windows and cuts: it makes more audio than it is asked for).

Set-up of the original (once, ~600 MB):
    git clone https://github.com/marcoppasini/musika DIR && git -C DIR checkout b1e6e79
    python3 -m venv VENV && VENV/bin/pip install "tensorflow-cpu==2.15.*" librosa scipy matplotlib tqdm
Not part of CI. Run it on an idle machine; training or builds running beside it skew both sides.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

# Runs inside the original's folder, with its Python: builds the networks with random weights and
# times U.generate for the requested seconds. Prints one JSON line.
ORIGINAL_RUNNER = r"""
import json, os, sys, tempfile, time, types
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
threads = int(sys.argv[3])
sys.path.insert(0, sys.argv[1])
os.chdir(sys.argv[1])
# Stubs for imports the generation path never calls (the Hub download, the web UI).
hub = types.ModuleType("huggingface_hub"); hub.hf_hub_download = lambda *a, **k: None
sys.modules["huggingface_hub"] = hub
sys.modules["gradio"] = types.ModuleType("gradio")
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
out = tempfile.mkdtemp()
sys.argv = ["musika_generate.py", "--seconds", sys.argv[2], "--num_samples", "1", "--save_path", out, "--cpu", "True"]
from parse.parse_generate import parse_args
from models import Models_functions
from utils import Utils_functions
args = parse_args()
M = Models_functions(args)
# Only what U.generate uses, built by the original's own builders (its build() clones the generator,
# which Keras 2.15 refuses for its AddNoise layer; generation never needs the clone or the critic).
gen_ema, dec, dec2 = M.build_generator(), M.build_decoder(), M.build_decoder2()
models = (None, None, None, dec, None, dec2, gen_ema, [None, None], None)
U = Utils_functions(args)
# Record how much audio it renders before cutting to the requested length (whole windows).
render = U.generate_waveform
lengths = []
def recording(*a, **k):
    wv = render(*a, **k)
    lengths.append(wv.shape[0])
    return wv
U.generate_waveform = recording
times = []
for run in range(int(os.environ.get("ORIGINAL_RUNS", "2"))):
    began = time.perf_counter()
    U.generate(models)
    times.append(time.perf_counter() - began)
produced = lengths[-1] / args.sr
print(json.dumps({"seconds": float(sys.argv[2]), "produced": produced, "times": times}))
"""


def run_original(args):
    env = dict(os.environ, ORIGINAL_RUNS="2", CUDA_VISIBLE_DEVICES="")
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(ORIGINAL_RUNNER)
    try:
        result = subprocess.run([args.python, script.name, os.path.abspath(args.original), str(int(args.seconds)),
                                 str(args.threads)], capture_output=True, text=True, env=env)
    finally:
        os.remove(script.name)
    if result.returncode != 0:
        sys.exit(f"side_by_side: the original failed:\n{result.stderr[-3000:]}")
    line = [l for l in result.stdout.splitlines() if l.startswith("{")][-1]
    report = json.loads(line)
    best = min(report["times"][1:] or report["times"])  # the first run warms up
    return {"seconds": report["seconds"], "produced": report["produced"], "time": best}


def run_ours(args, phase_from):
    command = [args.musika, "bench", "generate", "--seconds", str(args.seconds), "--stream-minutes", "0",
               "--threads", str(args.threads), "--phase-from", phase_from] + (["--no-bf16"] if args.no_bf16 else [])
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"side_by_side: `{' '.join(command)}` failed:\n{result.stderr[-3000:]}")
    found = {}
    # The original takes its phase from DEC's phase head; a label says when ours does not.
    label = "" if phase_from == "decoder" else f", phase from the {phase_from}"
    for precision in ("fp32", "bf16"):
        match = re.search(rf"{precision}\s+([\d.]+) s of audio in ([\d.]+) s", result.stdout)
        if match:
            found[precision + label] = {"seconds": float(match.group(1)), "time": float(match.group(2))}
    if "fp32" + label not in found:
        sys.exit(f"side_by_side: could not read `musika bench generate`'s output:\n{result.stdout}")
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--original", required=True, help="checkout of github.com/marcoppasini/musika (b1e6e79)")
    parser.add_argument("--python", required=True, help="Python with tensorflow-cpu 2.15, librosa, scipy, matplotlib, tqdm")
    parser.add_argument("--musika", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "musika"))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--no-bf16", action="store_true",
                        help="skip our bf16 measurement (CPUs without AVX-512 BF16/AMX run bf16 convolutions slowly)")
    parser.add_argument("--phase-from", choices=["decoder", "magnitude", "both"], default="decoder",
                        help="where our decoders take the phase from: DEC's phase head, as the original (default), "
                             "integrated from the magnitude, as the bundled models (DEC's phase head is skipped), "
                             "or both, one after the other in each round")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.original, "models.py")):
        sys.exit(f"side_by_side: {args.original} is not a checkout of the original Musika (no models.py); see --help")
    if not os.access(args.musika, os.X_OK):
        sys.exit(f"side_by_side: no musika binary at {args.musika}; build it (./musika --version) or pass --musika")

    originals, ours = [], []
    for round_ in range(1, args.rounds + 1):
        o = run_original(args)
        originals.append(o)
        print(f"round {round_}: original {o['seconds']:.0f} s requested ({o['produced']:.2f} s produced) in "
              f"{o['time']:.2f} s = {o['seconds'] / o['time']:.1f}× real time", flush=True)
        u = {}
        for source in (["decoder", "magnitude"] if args.phase_from == "both" else [args.phase_from]):
            u.update(run_ours(args, source))
        ours.append(u)
        line = ", ".join(f"{p} {v['seconds']:.0f} s in {v['time']:.2f} s = {v['seconds'] / v['time']:.1f}×" for p, v in u.items())
        print(f"round {round_}: ours {line}", flush=True)

    o = min(originals, key=lambda r: r["time"])
    per_requested = o["seconds"] / o["time"]
    per_produced = o["produced"] / o["time"]
    print(f"\noriginal (best of {args.rounds}): {per_requested:.1f}× real time per requested second, "
          f"{per_produced:.1f}× per produced second")
    for precision in dict.fromkeys(key for r in ours for key in r):
        runs = [r[precision] for r in ours if precision in r]
        best = min(runs, key=lambda r: r["time"])
        factor = best["seconds"] / best["time"]
        print(f"ours {precision} (best of {len(runs)}): {factor:.1f}× real time = {factor / per_requested:.2f}× the "
              f"original per requested second, {factor / per_produced:.2f}× per produced second")
        # A shared host drifts by more than the differences measured here: the ratio within each round
        # (the two runs minutes apart) is steadier than best against best.
        paired = sorted((o_["time"] / o_["seconds"]) / (r[precision]["time"] / r[precision]["seconds"])
                        for o_, r in zip(originals, ours) if precision in r)
        if len(paired) > 1:
            median = paired[len(paired) // 2] if len(paired) % 2 else (paired[len(paired) // 2 - 1] + paired[len(paired) // 2]) / 2
            print(f"ours {precision} / original within each round, per requested second: "
                  + ", ".join(f"{x:.2f}×" for x in paired) + f" (median {median:.2f}×)")


if __name__ == "__main__":
    main()
