#!/usr/bin/env python3
"""Builds the piano dataset: scores from music21's corpus rendered as solo piano, with exact labels.

    python3 data/render_piano.py OUT_DIR [--pieces N] [--tempi K] [--seed S] [--composers a,b] [--soundfont SF2]

Needs `pip install music21` and `apt-get install fluidsynth fluid-soundfont-gm`. For each chosen score
(Bach chorales, Beethoven, Mozart, Haydn, Schumann… from music21's corpus, seeded shuffle; Bach's
400 chorales outnumber the rest, so --composers without bach gives denser, more varied piano) every part
is set to Acoustic Grand Piano, a tempo is drawn from 60–140 BPM and velocities are humanised
(±15 around a per-piece level, slight per-note timing jitter), the MIDI is written, and fluidsynth
renders it to 44.1 kHz stereo WAV (under a time limit and a size cap: a corrupt score cannot fill the
disk). With --tempi K every piece is rendered K times, its k-th tempo drawn from the k-th of K equal
parts of 60–140 BPM and named NAME.tempoK.wav: the same notes at several densities, so a
density-conditioned model cannot tell a crop's density by which piece it is (split_heldout.py keeps a
piece's renders on one side). OUT_DIR gets audio/*.wav, midi/*.mid and manifest.json: per piece the corpus source and its
licence, the tempo, and every note onset in seconds (the exact labels `musika analyze --json` is
checked against by data/evaluate_labels.py).
"""
import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys

COMPOSERS = ["bach", "beethoven", "mozart", "haydn", "schumann_robert", "schumann_clara", "chopin", "handel",
             "schubert", "joplin", "scarlatti"]
LICENCE = ("music21 corpus (BSD-3-Clause software; the encoded scores are public-domain works, "
           "see music21/corpus/_metadataCache and music21's LICENSE)")
MAX_SECONDS = 420
MAX_BYTES = 200 * 1024 * 1024


def limit_file_size():
    """In fluidsynth's process: no file it writes may pass MAX_BYTES (a runaway render is killed)."""
    resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_BYTES, MAX_BYTES))


def fail(message):
    print(f"render_piano: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--pieces", type=int, default=200)
    parser.add_argument("--tempi", type=int, default=1,
                        help="renders per piece at tempi spread over 60-140 BPM (default 1: one tempo drawn per piece)")
    parser.add_argument("--max-seconds", type=float, default=MAX_SECONDS,
                        help=f"skip pieces longer than this at any of their tempi (default {MAX_SECONDS})")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--composers", default=",".join(COMPOSERS),
                        help=f"comma-separated music21 corpus folders (default: {','.join(COMPOSERS)})")
    parser.add_argument("--soundfont", default="/usr/share/sounds/sf2/FluidR3_GM.sf2")
    args = parser.parse_args()
    try:
        from music21 import corpus, instrument, tempo, volume
        from music21.midi import translate
    except ImportError:
        fail("music21 is missing: pip install music21")
    if not shutil.which("fluidsynth"):
        fail("fluidsynth is missing: apt-get install fluidsynth")
    if not os.path.exists(args.soundfont):
        fail(f"no soundfont at {args.soundfont}: apt-get install fluid-soundfont-gm, or pass --soundfont")

    if not 1 <= args.tempi <= 8:
        fail("--tempi must be 1 to 8")
    composers = [c.strip() for c in args.composers.split(",") if c.strip()]
    unknown = [c for c in composers if c not in COMPOSERS]
    if unknown or not composers:
        fail(f"--composers: unknown {unknown or 'empty list'}; choose from {','.join(COMPOSERS)}")
    rng = random.Random(args.seed)
    paths = sorted(str(p) for p in corpus.getPaths()
                   if any(f"/corpus/{c}/" in str(p) for c in composers) and "choraleAnalyses" not in str(p))
    rng.shuffle(paths)
    for sub in ("audio", "midi"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    manifest_path = os.path.join(args.out, "manifest.json")
    manifest = json.load(open(manifest_path)) if os.path.exists(manifest_path) else {"entries": [], "failures": []}
    done = {e["source"] for e in manifest["entries"]}
    made = len(done)
    for path in paths:
        if made >= args.pieces:
            break
        source = path.split("/corpus/")[1]
        if source in done:
            continue
        # The extension stays in the name: the corpus holds some works in two encodings (.krn and .mxl).
        stem, extension = os.path.splitext(source.replace("/", "_"))
        name = f"{stem}_{extension.lstrip('.')}"
        try:
            score = corpus.parse(path)
            if score.recurse().getElementsByClass("RepeatMark"):
                score = score.expandRepeats()  # so the MIDI and the onset labels play the same notes
            for part in score.parts:
                for old in part.recurse().getElementsByClass(instrument.Instrument):
                    part.remove(old, recurse=True)
                part.insert(0, instrument.Piano())
            for mark in score.recurse().getElementsByClass(tempo.MetronomeMark):
                mark.activeSite.remove(mark)
            renders = []
            for variant in range(args.tempi):
                low, width = 60 + 80 * variant / args.tempi, 80 / args.tempi
                renders.append(render(score, args, rng, bpm=rng.uniform(low, low + width),
                                      name=name if args.tempi == 1 else f"{name}.tempo{variant}"))
        except Exception as error:  # noqa: BLE001 - one bad score is reported and skipped
            manifest["failures"].append({"source": source, "reason": f"{type(error).__name__}: {error}"})
            print(f"skip {source}: {error}", file=sys.stderr)
            continue
        for entry in renders:
            manifest["entries"].append({"source": source, **entry, "licence": LICENCE})
        made += 1
        tempi = ", ".join(f"{entry['tempo']:.1f}" for entry in renders)
        print(f"[{made}/{args.pieces}] {source}: {tempi} BPM, {len(renders[0]['onsets'])} onsets, "
              f"{renders[0]['seconds']:.0f} s", flush=True)
        with open(manifest_path + ".partial", "w") as f:
            json.dump(manifest, f, indent=1)
        os.replace(manifest_path + ".partial", manifest_path)


def render(score, args, rng, bpm, name):
    """One rendering of a piano score at `bpm` with humanised velocities: writes MIDI and WAV, returns the entry."""
    from music21 import tempo, volume
    from music21.midi import translate
    level = rng.randint(60, 100)
    for mark in score.parts[0].getElementsByClass(tempo.MetronomeMark):
        score.parts[0].remove(mark)
    score.parts[0].insert(0, tempo.MetronomeMark(number=bpm))
    onsets = set()
    for note in score.recurse().notes:
        note.volume = volume.Volume(velocity=max(20, min(127, level + rng.randint(-15, 15))))
        onsets.add(round(float(note.getOffsetInHierarchy(score)) * 60 / bpm, 4))
    seconds = max(onsets) if onsets else 0
    if not onsets or seconds > args.max_seconds or seconds < 8:
        raise ValueError(f"{seconds:.0f} s of notes at {bpm:.0f} BPM (keep 8–{args.max_seconds:.0f} s)")
    midi_path = os.path.join(args.out, "midi", name + ".mid")
    wav_path = os.path.join(args.out, "audio", name + ".wav")
    midi = translate.streamToMidiFile(score)
    midi.open(midi_path, "wb")
    midi.write()
    midi.close()
    partial = wav_path + ".partial"
    subprocess.run(["fluidsynth", "-ni", "-q", "-g", "0.6", "-r", "44100", "-F", partial, args.soundfont, midi_path],
                   check=True, timeout=180, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   preexec_fn=limit_file_size)
    os.replace(partial, wav_path)
    return {"audio": f"audio/{name}.wav", "midi": f"midi/{name}.mid", "tempo": round(bpm, 3),
            "onsets": sorted(onsets), "seconds": round(seconds, 3)}

if __name__ == "__main__":
    main()
