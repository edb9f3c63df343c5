#!/usr/bin/env python3
"""Bad-input run against Musika's audio reader: every damaged file must end in a named error (exit
status 1, the file's path and a reason on stderr) or be read; never a crash, a hang or a huge
allocation.

Builds valid WAV, FLAC and Ogg files (FLAC and Ogg written by `musika generate`), then damages
them: empty, truncated at several points, headers that claim 4 GB or zero/65 535 channels or a
0 Hz rate, chunk sizes that overflow, random bytes under each extension, seeded random byte
mutations (--mutations), a folder named like a file, an unreadable file, a dangling link. Each case
runs `musika analyze FILE` with a 60 s timeout and an 8 GiB address-space cap. Bounded, local, not
part of CI.

    python3 scripts/fuzz_audio_reader.py --musika .build/release/musika --mutations 40
"""
import argparse
import os
import random
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time


def wav(frames=44_100, channels=2, rate=44_100, bits=16, data_size=None, fmt_size=16, riff_size=None, seed=0):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(frames * channels * bits // 8))
    fmt = struct.pack("<HHIIHH", 1, channels, rate, (rate * channels * bits // 8) & 0xFFFF_FFFF, (channels * bits // 8) & 0xFFFF, bits)
    fmt += b"\0" * max(0, fmt_size - 16) if fmt_size < 1 << 20 else b""
    body = b"WAVE" + b"fmt " + struct.pack("<I", fmt_size) + fmt + b"data" + struct.pack(
        "<I", len(data) if data_size is None else data_size) + data
    return b"RIFF" + struct.pack("<I", len(body) if riff_size is None else riff_size) + body


def cap_memory():
    resource.setrlimit(resource.RLIMIT_AS, (8 << 30, 8 << 30))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--musika", default=".build/release/musika")
    parser.add_argument("--mutations", type=int, default=40, help="random byte mutations per container")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.access(args.musika, os.X_OK):
        sys.exit(f"--musika {args.musika}: not an executable; build it with: swift build -c release")
    musika = os.path.abspath(args.musika)
    rng = random.Random(args.seed)
    folder = tempfile.mkdtemp(prefix="musika-audio-fuzz-")
    cases = []

    def add(name, data):
        path = os.path.join(folder, name)
        with open(path, "wb") as f:
            f.write(data)
        cases.append(path)

    base = {"wav": wav()}
    for extension in ["flac", "ogg"]:
        path = os.path.join(folder, "base." + extension)
        subprocess.run([musika, "generate", "--seconds", "2", "--seed", "1", "-o", path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(path, "rb") as f:
            base[extension] = f.read()
    add("valid.wav", base["wav"])

    for extension, data in base.items():
        add(f"empty.{extension}", b"")
        add(f"one-byte.{extension}", data[:1])
        for fraction in [0.01, 0.1, 0.5, 0.99]:
            add(f"truncated-{fraction}.{extension}", data[:int(len(data) * fraction)])
        add(f"random.{extension}", bytes(rng.randrange(256) for _ in range(10_000)))
        for i in range(args.mutations):
            mutated = bytearray(data)
            for _ in range(rng.randint(1, 20)):
                # Mostly the header, where the parser decides what to allocate.
                position = rng.randrange(min(len(mutated), 4096 if rng.random() < 0.8 else len(mutated)))
                mutated[position] = rng.randrange(256)
            add(f"mutated-{i}.{extension}", bytes(mutated))
    add("claims-4GB.wav", wav(data_size=0xFFFF_FFF0))
    add("riff-size-overflow.wav", wav(riff_size=0xFFFF_FFFF))
    add("zero-channels.wav", wav(channels=0, frames=100))
    add("65535-channels.wav", wav(channels=65_535, frames=2))
    add("zero-rate.wav", wav(rate=0))
    add("4GHz-rate.wav", wav(rate=4_000_000_000))
    add("7-bit.wav", wav(bits=7))
    add("huge-fmt-chunk.wav", wav(fmt_size=0xFFFF_FFF0))
    add("header-only.wav", wav(frames=0))
    add("text.wav", b"this is not audio\n" * 100)
    add("wav-named.flac", base["wav"])
    os.mkdir(os.path.join(folder, "folder.wav"))
    cases.append(os.path.join(folder, "folder.wav"))
    add("unreadable.wav", base["wav"])
    os.chmod(os.path.join(folder, "unreadable.wav"), 0)
    os.symlink(os.path.join(folder, "nowhere.wav"), os.path.join(folder, "dangling.wav"))
    cases.append(os.path.join(folder, "dangling.wav"))
    cases.append(os.path.join(folder, "missing.wav"))

    failures, outcomes, began = [], {"read": 0, "named error": 0}, time.monotonic()
    for path in cases:
        name = os.path.basename(path)
        try:
            run = subprocess.run([musika, "analyze", path], capture_output=True, text=True, timeout=60,
                                 preexec_fn=cap_memory)
        except subprocess.TimeoutExpired:
            failures.append(f"{name}: no answer within 60 s")
            continue
        if run.returncode == 0:
            outcomes["read"] += 1
        elif run.returncode == 1 and path in run.stderr and "rror" in run.stderr:
            outcomes["named error"] += 1
        else:
            failures.append(f"{name}: exit {run.returncode}; stderr: {run.stderr.strip()[-300:]!r}")
    if os.getuid() == 0:
        print("note: run as root, so the unreadable file was readable")
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(cases)} damaged or odd audio files in {time.monotonic() - began:.0f} s: "
          f"{outcomes['read']} read, {outcomes['named error']} refused with a named error, {len(failures)} failures")
    for failure in failures:
        print("FAIL", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
