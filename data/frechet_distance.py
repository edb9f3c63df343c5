#!/usr/bin/env python3
"""How close generated music is to real music: a Fréchet distance on musicnn embeddings.

    python3 data/frechet_distance.py GENERATED REAL [--other OTHER] [--max-seconds 60]

Each argument is a folder of audio (WAV, FLAC, OGG, MP3; sub-folders too). Every file is cut into
3-second patches at 16 kHz mono and embedded with musicnn's MSD_musicnn model (its 200-dimensional
'penultimate' layer; the model ships inside the `musicnn` package from PyPI, so this runs offline).
Each folder becomes a Gaussian (mean and covariance of its patch embeddings) and the distance is the
Fréchet distance between two Gaussians, as in FAD (Kilgour et al. 2019), on a music-tagging embedding:

    FD = |mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2))

One number means little alone, so it prints two reference points measured in the same run:
  real vs real   REAL's files split in two halves (alternating, by name): how far two samples of the
                 same music lie apart; a model cannot be expected to beat it;
  real vs other  REAL against OTHER (music of another genre, given with --other): how far "wrong music"
                 lies.
  train vs real  with --train DIR (the model's training music): its first --train-seconds of each file,
                 drawn down to as many patches as GENERATED has (FD grows as samples shrink, so equal counts
                 keep it fair): what a model that reproduced its training music exactly would score.
A good model lands near the first and far below the second. Lower is closer.

Set-up (once, about 600 MB): python3 -m venv venv-fad && venv-fad/bin/pip install "tensorflow-cpu==2.15.*"
librosa && venv-fad/bin/pip install --no-deps musicnn==0.1.0; then run this script with venv-fad/bin/python.
Embeddings are cached per file (by path, size and modification time) in ~/.cache/musika/musicnn.
"""
import argparse
import hashlib
import os
import sys

AUDIO = (".wav", ".flac", ".ogg", ".oga", ".mp3", ".opus")


def fail(message):
    print(f"frechet_distance: {message}", file=sys.stderr)
    sys.exit(2)


def load_extractor():
    """musicnn 0.1.0 is written against TensorFlow 1's graph API; TF 2 serves it through tf.compat.v1."""
    try:
        import numpy  # noqa: F401
        import tensorflow.compat.v1 as tf1
    except ImportError:
        fail("needs TensorFlow and numpy; see the set-up line in this script's help (--help)")
    tf1.disable_v2_behavior()
    tf1.logging.set_verbosity(tf1.logging.ERROR)
    sys.modules["tensorflow"] = tf1
    try:
        from musicnn.extractor import extractor
    except ImportError as error:
        fail(f"cannot import musicnn ({error}); see the set-up line in this script's help (--help)")
    return extractor


def audio_files(folder):
    if not os.path.isdir(folder):
        fail(f"{folder} is not a folder of audio")
    found = []
    for root, _, names in os.walk(folder):
        found += [os.path.join(root, n) for n in names if n.lower().endswith(AUDIO)]
    if not found:
        fail(f"{folder} holds no audio files ({', '.join(AUDIO)})")
    return sorted(found)


def embed(path, extractor, cache, max_seconds):
    """(patches, 200) musicnn embeddings of the file's first max_seconds."""
    import numpy as np
    stat = os.stat(path)
    key = hashlib.sha1(f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{max_seconds}".encode()).hexdigest()
    cached = os.path.join(cache, key + ".npy")
    if os.path.exists(cached):
        return np.load(cached)
    source = path
    if max_seconds:
        import librosa
        import soundfile
        import tempfile
        audio, rate = librosa.load(path, sr=16000, mono=True, duration=max_seconds)
        handle, source = tempfile.mkstemp(suffix=".wav")
        os.close(handle)
        soundfile.write(source, audio, rate)
    try:
        _, _, features = extractor(source, model="MSD_musicnn", input_length=3, input_overlap=False,
                                   extract_features=True)
    except Exception as error:  # a corrupt or silent file names itself
        fail(f"{path}: musicnn could not embed it ({error})")
    finally:
        if source != path:
            os.remove(source)
    values = np.asarray(features["penultimate"], dtype=np.float64)
    os.makedirs(cache, exist_ok=True)
    np.save(cached + ".tmp.npy", values)
    os.replace(cached + ".tmp.npy", cached)
    return values


def gaussian(embeddings):
    import numpy as np
    stacked = np.concatenate(embeddings, axis=0)
    return stacked.mean(axis=0), np.cov(stacked, rowvar=False), len(stacked)


def frechet(a, b):
    import numpy as np
    from scipy import linalg
    (mu_a, s_a, _), (mu_b, s_b, _) = a, b
    root, _ = linalg.sqrtm(s_a.dot(s_b), disp=False)
    if not np.isfinite(root).all():  # near-singular product: regularise, as FID implementations do
        offset = np.eye(s_a.shape[0]) * 1e-6
        root = linalg.sqrtm((s_a + offset).dot(s_b + offset))
    root = root.real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a) + np.trace(s_b) - 2 * np.trace(root))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("generated", help="folder of generated audio")
    parser.add_argument("real", help="folder of held-out real music of the same genre")
    parser.add_argument("--other", help="folder of real music of another genre (a reference point)")
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="embed at most this many seconds of each file (default 60; 0: all)")
    parser.add_argument("--train", help="folder of the model's training music (a reference point, see above)")
    parser.add_argument("--train-seconds", type=float, default=40,
                        help="seconds embedded per training file with --train (default 40)")
    parser.add_argument("--cache", default=os.path.join(os.environ.get("MUSIKA_CACHE", os.path.expanduser("~/.cache/musika")), "musicnn"))
    args = parser.parse_args()

    folders = {"generated": audio_files(args.generated), "real": audio_files(args.real)}
    if args.other:
        folders["other"] = audio_files(args.other)
    if args.train:
        folders["train"] = audio_files(args.train)
    if len(folders["real"]) < 2:
        fail(f"{args.real}: the real-vs-real reference needs at least 2 files")
    extractor = load_extractor()
    embedded = {}
    for name, files in folders.items():
        embedded[name] = []
        for index, path in enumerate(files):
            print(f"  embedding {name} {index + 1}/{len(files)}: {os.path.basename(path)}", file=sys.stderr)
            seconds = args.train_seconds if name == "train" else args.max_seconds
            embedded[name].append(embed(path, extractor, args.cache, seconds))

    real = gaussian(embedded["real"])
    generated = gaussian(embedded["generated"])
    half_a = gaussian(embedded["real"][0::2])
    half_b = gaussian(embedded["real"][1::2])
    print(f"patches: generated {generated[2]}, real {real[2]} (halves {half_a[2]} / {half_b[2]})")
    print(f"FD generated vs real: {frechet(generated, real):.2f}")
    print(f"FD real vs real (two halves of {args.real}): {frechet(half_a, half_b):.2f}")
    if args.other:
        other = gaussian(embedded["other"])
        print(f"FD real vs other ({args.other}): {frechet(real, other):.2f}")
    if args.train:
        import numpy as np
        patches = np.concatenate(embedded["train"], axis=0)
        chosen = np.random.default_rng(0).permutation(len(patches))[:generated[2]]
        train = gaussian([patches[np.sort(chosen)]])
        print(f"FD train vs real ({args.train}, {train[2]} of {len(patches)} patches): {frechet(train, real):.2f}")


if __name__ == "__main__":
    main()
