#!/usr/bin/env python3
"""Builds a training set from music that Debian packages ship (no other internet needed).

    python3 data/fetch_debian_music.py SET OUT_DIR [--limit N] [--cache DIR]

SET is one of:
  electronic  warzone2100-music (electronic soundtrack; album.json BPMs are kept as hints: many are a
              default of 80, so `musika label` measures the tempo) and singularity-music
  mix         supertux-data, singularity-music and warzone2100-music: a general game-music mix
  variety     more game soundtracks (space synth, rock, folk, orchestral, chiptune-like): naev-data,
              hedgewars-data, supertuxkart-data, megaglest-data, freedroidrpg-data, extremetuxracer-data,
              scorched3d-data, lincity-ng-data, xmoto-data, frozen-bubble-data (for codec training)
  orchestral  orchestral and folk-orchestral scores: wesnoth-1.16-music, widelands-data, freeorion-data
  heldout     planetblupi-music-ogg, which no bundled model trains on (codec evaluation)
Each package is fetched with `apt-get download` (no install, no root needed) and unpacked with
`dpkg -x`; audio files over 200 kB are copied to OUT_DIR/audio/PACKAGE/. OUT_DIR/licences/ keeps each
package's copyright file, and OUT_DIR/manifest.json records per file its package, version, path in
the package, licence summary, size and SHA-256. --limit takes only the first N files (for tests).
Then: `musika encode OUT_DIR/audio latents/ --codec C` and `musika label latents/`.
"""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

SETS = {
    "electronic": ["warzone2100-music", "singularity-music"],
    "mix": ["supertux-data", "singularity-music", "warzone2100-music"],
    "variety": ["naev-data", "hedgewars-data", "supertuxkart-data", "megaglest-data", "freedroidrpg-data",
                "extremetuxracer-data", "scorched3d-data", "lincity-ng-data", "xmoto-data", "frozen-bubble-data"],
    "orchestral": ["wesnoth-1.16-music", "widelands-data", "freeorion-data"],
    # Music that no bundled model trained on, for evaluating codecs on unseen audio.
    "heldout": ["planetblupi-music-ogg"],
}
AUDIO = (".ogg", ".opus", ".mp3", ".flac", ".wav")


def licence_summary(text):
    """A one-line licence from a Debian copyright file (DEP-5 'License:' lines, else keywords)."""
    found = []
    for line in text.splitlines():
        match = re.match(r"License:\s*(\S.*)", line)
        if match and match.group(1).strip() not in found:
            found.append(match.group(1).strip())
    if found:
        return ", ".join(found[:4])
    for pattern, name in [(r"Creative Commons Attribution-ShareAlike", "CC-BY-SA"), (r"CREATIVE COMMONS PUBLIC", "CC"),
                          (r"GNU General Public License", "GPL"), (r"public domain", "public domain")]:
        if re.search(pattern, text, re.IGNORECASE):
            return name + " (see licences/)"
    return "see licences/"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("set", choices=sorted(SETS))
    parser.add_argument("out")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--cache", default=os.path.expanduser("~/.cache/musika/debs"))
    args = parser.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    for sub in ("audio", "licences"):
        os.makedirs(os.path.join(args.out, sub), exist_ok=True)
    entries = []
    for package in SETS[args.set]:
        if args.limit is not None and len(entries) >= args.limit:
            break
        debs = glob.glob(os.path.join(args.cache, f"{package}_*.deb"))
        if not debs:
            print(f"downloading {package}…", file=sys.stderr)
            result = subprocess.run(["apt-get", "download", package], cwd=args.cache, capture_output=True, text=True)
            debs = glob.glob(os.path.join(args.cache, f"{package}_*.deb"))
            if result.returncode != 0 or not debs:
                sys.exit(f"fetch_debian_music: apt-get download {package} failed: {result.stderr.strip()}"
                         " (is Debian's archive reachable? run apt-get update)")
        deb = sorted(debs)[-1]
        version = os.path.basename(deb).split("_")[1]
        with tempfile.TemporaryDirectory() as root:
            subprocess.run(["dpkg", "-x", deb, root], check=True)
            copyright_file = os.path.join(root, "usr/share/doc", package, "copyright")
            text = open(copyright_file, errors="replace").read() if os.path.exists(copyright_file) else ""
            with open(os.path.join(args.out, "licences", package + ".copyright"), "w") as f:
                f.write(text)
            hints = {}
            for album in glob.glob(os.path.join(root, "**/album.json"), recursive=True):
                for track in json.load(open(album)).get("tracks", []):
                    if "filename" in track and "bpm" in track:
                        hints[track["filename"]] = track["bpm"]
            files = sorted(p for p in glob.glob(os.path.join(root, "**/*"), recursive=True)
                           if p.lower().endswith(AUDIO) and os.path.getsize(p) > 200_000)
            for path in files:
                if args.limit is not None and len(entries) >= args.limit:
                    break
                inside = os.path.relpath(path, root)
                target = os.path.join("audio", package, inside.replace("/", "_"))
                os.makedirs(os.path.join(args.out, "audio", package), exist_ok=True)
                shutil.copyfile(path, os.path.join(args.out, target))
                data = open(path, "rb").read()
                entry = {"file": target, "package": package, "version": version, "path": "/" + inside,
                         "licence": licence_summary(text), "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                if os.path.basename(path) in hints:
                    entry["album_bpm"] = hints[os.path.basename(path)]
                entries.append(entry)
        print(f"{package} {version}: {sum(e['package'] == package for e in entries)} files", file=sys.stderr)
    manifest = {"set": args.set, "packages": SETS[args.set], "entries": entries}
    with open(os.path.join(args.out, "manifest.json.partial"), "w") as f:
        json.dump(manifest, f, indent=1)
    os.replace(os.path.join(args.out, "manifest.json.partial"), os.path.join(args.out, "manifest.json"))
    print(f"{len(entries)} files in {os.path.join(args.out, 'audio')}; manifest: {os.path.join(args.out, 'manifest.json')}")


if __name__ == "__main__":
    main()
