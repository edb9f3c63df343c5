#!/usr/bin/env python3
"""Splits a data set's audio into a training part and a held-out part that no model may train on.

    python3 data/split_heldout.py SET_DIR [--fraction 0.1]

SET_DIR is a folder made by fetch_debian_music.py or render_piano.py (audio files under SET_DIR/audio).
A file is held out when the SHA-1 of its path under audio/ (e.g. `warzone2100-music/x.ogg`) falls in
the first `fraction` of the hash range. The rule depends on the name alone, so a file that two sets
share (electronic ⊂ mix) lands on the same side in both, and a re-run or a rebuilt set splits the same
way. A piece that render_piano.py --tempi rendered several times (NAME.tempoK.wav) is hashed by NAME.wav,
so all its renders fall on one side. SET_DIR/train/ and SET_DIR/heldout/ get hard links (no copies; symlinks where hard links fail),
keeping the package folders; SET_DIR/split.json lists both sides. Train codecs and GANs on train/,
evaluate on heldout/.
"""
import argparse
import hashlib
import json
import os
import re
import sys

AUDIO = (".ogg", ".opus", ".mp3", ".flac", ".wav")


def held_out(relative_path, fraction):
    # render_piano.py --tempi names a piece's renders NAME.tempoK.wav: one piece, one side.
    piece = re.sub(r"\.tempo\d+(\.[^./]+)$", r"\1", relative_path)
    digest = hashlib.sha1(piece.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < fraction


def link(source, target):
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.lexists(target):
        os.remove(target)
    try:
        os.link(source, target)
    except OSError:
        os.symlink(os.path.abspath(source), target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set_dir")
    parser.add_argument("--fraction", type=float, default=0.1,
                        help="share of files held out, by name hash (default 0.1)")
    args = parser.parse_args()
    audio = os.path.join(args.set_dir, "audio")
    if not os.path.isdir(audio):
        sys.exit(f"split_heldout: {audio} does not exist; build the set first (fetch_debian_music.py, render_piano.py)")
    if not 0 < args.fraction < 1:
        sys.exit("split_heldout: --fraction must lie between 0 and 1")
    files = sorted(os.path.relpath(os.path.join(root, name), audio)
                   for root, _, names in os.walk(audio) for name in names if name.lower().endswith(AUDIO))
    if not files:
        sys.exit(f"split_heldout: {audio} holds no audio files")
    sides = {"train": [], "heldout": []}
    for relative in files:
        sides["heldout" if held_out(relative, args.fraction) else "train"].append(relative)
    for side, names in sides.items():
        for relative in names:
            link(os.path.join(audio, relative), os.path.join(args.set_dir, side, relative))
    with open(os.path.join(args.set_dir, "split.json.partial"), "w") as f:
        json.dump({"fraction": args.fraction, "rule": "sha1(path under audio/, .tempoK dropped)[:8] / 2^64 < fraction", **sides}, f, indent=1)
    os.replace(os.path.join(args.set_dir, "split.json.partial"), os.path.join(args.set_dir, "split.json"))
    print(f"{len(sides['train'])} files in {os.path.join(args.set_dir, 'train')}, "
          f"{len(sides['heldout'])} held out in {os.path.join(args.set_dir, 'heldout')}")


if __name__ == "__main__":
    main()
