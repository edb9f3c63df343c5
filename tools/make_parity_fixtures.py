#!/usr/bin/env python3
"""Reference outputs of the original Musika, for checking `musika import` and our networks against it.

Builds the original's networks with its own code (models.py, utils.py of
https://github.com/marcoppasini/musika), gives them random weights from a fixed seed, saves them as
the .h5 weight files the original publishes, runs them on fixed random inputs, and writes the
inputs and outputs in our layout:

    OUT/ae/enc.h5 dec.h5 enc2.h5 dec2.h5   the autoencoder, as in marcop/musika_ae
    OUT/techno/gen_ema.h5                  a generator (full model), as in marcop/musika_techno
    OUT/misc_small/gen_ema.h5              a generator of the `--small` model, as in marcop/musika_misc_small
    OUT/reference.safetensors              inputs and the original's outputs (see `record`)
    OUT/broken/enc2_*.h5                   enc2.h5 with one dataset missing, added or mis-shaped (tiny only)

Sizes: `--size full` is the released architecture (hop 256, latdepth 64, base_channels 128: about
250 MB, for measuring parity by hand); `--size tiny` passes hop 32, latdepth 8 and base_channels 8
to the same code (every width of the original derives from these three arguments), for CI.

Determinism: the AddNoise layers' learned scales are set to 0, so they add nothing. Keras 2.15
returns identical values from a reused unseeded initializer (the original shares one He-uniform
instance), which would make layers of the same shape identical and hide a swapped mapping, so every
weight is redrawn here from the seed: kernels He-uniform, biases U(-0.1, 0.1). The DEC heads'
kernels are scaled by 0.25 and the magnitude head's bias is shifted so that the chain's waveform
peaks at about 0.5: the original clips its waveform to ±1, and a clipped (or a nearly silent)
reference would hide differences.

Needs TensorFlow 2.15 (CPU), h5py and numpy, e.g. in a venv:
    python3 -m venv /work/venv-tf && /work/venv-tf/bin/pip install tensorflow-cpu==2.15.* h5py numpy
    git clone https://github.com/marcoppasini/musika /work/orig-musika
    /work/venv-tf/bin/python tools/make_parity_fixtures.py --musika /work/orig-musika --size tiny \
        --out Tests/MusikaTests/Fixtures/KerasParity
The original's files are only read; modules it imports but these paths never call (gradio,
librosa, matplotlib, scipy, tqdm, huggingface_hub) are replaced by empty stand-ins when absent.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import types

import numpy as np

from safetensors_file import write_safetensors

SIZES = {
    "tiny": dict(hop=32, latdepth=8, base_channels=8),
    "full": dict(hop=256, latdepth=64, base_channels=128),
}
BATCH = 2
CHAIN_VECTORS = 16  # two of the original's 8-vector decoding chunks


def stub_missing_modules():
    """Empty stand-ins for modules the original imports at the top but that no path used here calls."""

    def stub(name, **attributes):
        try:
            __import__(name)
        except ImportError:
            module = types.ModuleType(name)
            module.__dict__.update(attributes)
            sys.modules[name] = module
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, module)

    stub("huggingface_hub", hf_hub_download=None)
    stub("tqdm", tqdm=lambda x, *a, **k: x)
    # Only the unused mel matrix of Utils_functions.__init__ asks for this.
    stub("librosa", mel_frequencies=lambda n_mels, fmin, fmax: np.linspace(fmin, fmax, n_mels))
    stub("matplotlib")
    stub("matplotlib.pyplot")
    stub("gradio")
    stub("scipy")
    stub("scipy.io")
    stub("scipy.io.wavfile", write=None)


class Args(dict):
    """The attribute dictionary the original's code reads its options from."""

    __getattr__ = dict.__getitem__


def original_args(size, small, tf):
    a = Args(SIZES[size])
    a.update(
        shape=128,
        window=64,
        small=small,
        latlen=128 if small else 256,
        coordlen=(64 if small else 128) * 3,
        mu_rescale=-25.0,
        sigma_rescale=75.0,
        sr=44100,
        mel_bins=256,
        datatype=tf.float32,
        mixed_precision=False,
    )
    return a


def redraw_weights(model, rng, heads=()):
    """Independent He-uniform kernels, U(-0.1, 0.1) biases, zero noise scales (see the docstring)."""
    for layer in model.layers:
        for weight in layer.weights:
            shape = tuple(weight.shape)
            role = weight.name.split("/")[-1].split(":")[0]
            if role == "noise_weight":
                value = np.zeros(shape)
            elif role == "bias":
                value = rng.uniform(-0.1, 0.1, shape)
            else:
                # Conv2D (1, k, in, out) and Dense (in, out): fan-in over all but the last axis;
                # Conv2DTranspose (1, k, out, in): Keras takes its fan-in from the output channels too.
                fan_in = int(np.prod(shape[:-1]))
                limit = np.sqrt(6.0 / fan_in)
                value = rng.uniform(-limit, limit, shape)
                if layer.name in heads:
                    value = value * 0.25
            weight.assign(value.astype(np.float32))


def set_level(utils, dec, dec2, latents, magnitude_bias, target=0.5):
    """Shifts the magnitude head's bias until the decoded `latents` peak near `target`. A shift of d
    in normalised log-magnitude is 75·d dB (sigma_rescale), so the level scales by 10^(75·d/20)."""
    for _ in range(8):
        peak = np.abs(np.asarray(utils.decode_waveform(latents, dec, dec2, batch_size=64))).max()
        if 0.8 * target < peak < 1.2 * target:
            return
        shift = 20.0 / 75.0 * np.log10(target / max(peak, 1e-6))
        magnitude_bias.assign(magnitude_bias + np.float32(shift))
    raise RuntimeError(f"could not bring the reference waveform near {target} (peak {peak})")


def heads_of(dec, bins):
    """Names of DEC's magnitude and phase convolutions: its two Conv2D layers with `bins` outputs,
    magnitude first (Keras orders them so, as it built them)."""
    names = [l.name for l in dec.layers if l.__class__.__name__ == "Conv2D" and l.filters == bins]
    assert len(names) == 2, names
    return tuple(names)


def original_commit(folder):
    """The checkout's commit, when it is a git checkout."""
    try:
        return subprocess.run(["git", "-C", folder, "rev-parse", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def ours(x, *axes):
    return np.ascontiguousarray(np.transpose(x, axes)).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--musika", required=True, help="a checkout of the original Musika (its models.py, utils.py)")
    parser.add_argument("--out", required=True, help="output folder (replaced)")
    parser.add_argument("--size", choices=sorted(SIZES), default="tiny")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--commit", help="the original's commit, recorded in the metadata (default: its git HEAD)")
    options = parser.parse_args()
    if not os.path.isfile(os.path.join(options.musika, "models.py")):
        sys.exit(f"{options.musika} has no models.py: pass a checkout of https://github.com/marcoppasini/musika")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import h5py
    import tensorflow as tf

    stub_missing_modules()
    sys.path.insert(0, os.path.abspath(options.musika))
    from models import Models_functions
    from utils import Utils_functions

    tf.keras.utils.set_random_seed(options.seed)
    rng = np.random.default_rng(options.seed)
    args = original_args(options.size, False, tf)
    small_args = original_args(options.size, True, tf)
    hop, latdepth = args.hop, args.latdepth
    bins, frame_channels = 2 * hop + 1, hop // 4

    builder = Models_functions(args)
    enc, dec = builder.build_encoder(), builder.build_decoder()
    enc2, dec2 = builder.build_encoder2(), builder.build_decoder2()
    gen = builder.build_generator()
    gen_small = Models_functions(small_args).build_generator()
    heads = heads_of(dec, bins)
    for model in (enc, dec, enc2, dec2, gen, gen_small):
        redraw_weights(model, rng, heads if model is dec else ())
    utils = Utils_functions(args)
    latents = rng.uniform(-1, 1, (1, 1, CHAIN_VECTORS, 2 * latdepth)).astype(np.float32)
    set_level(utils, dec, dec2, latents, dec.get_layer(heads[0]).bias)

    parent = os.path.dirname(os.path.abspath(options.out))
    os.makedirs(parent, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".parity-", dir=parent)
    try:
        for folder, name, model in [("ae", "enc", enc), ("ae", "dec", dec), ("ae", "enc2", enc2), ("ae", "dec2", dec2),
                                    ("techno", "gen_ema", gen), ("misc_small", "gen_ema", gen_small)]:
            os.makedirs(os.path.join(staging, folder), exist_ok=True)
            model.save_weights(os.path.join(staging, folder, name + ".h5"))

        record = {}
        def run(model, x):
            outputs = model(x, training=False)
            return [np.asarray(y) for y in (outputs if isinstance(outputs, list) else [outputs])]

        # ENC: (B, bins, 128, 1) → (2B, 1, 64, 8): the two 64-frame halves of item b are items b and B + b.
        x = rng.uniform(-1, 1, (BATCH, bins, 128, 1)).astype(np.float32)
        y = run(enc, x)[0]
        y = np.concatenate([y[:BATCH], y[BATCH:]], axis=2)[:, 0]  # (B, 128, latent)
        record["enc.input"] = ours(x[..., 0], 0, 1, 2)  # (B, bins, frames)
        record["enc.output"] = ours(y, 0, 2, 1)  # (B, latent, frames)

        # DEC: (2B, 1, 64, latent) → magnitude, phase (B, 128, bins), item b followed by item B + b.
        x = rng.uniform(-1, 1, (2 * BATCH, 1, 64, frame_channels)).astype(np.float32)
        magnitude, phase = run(dec, x)
        split = lambda s: np.concatenate([s[:, :64], s[:, 64:]], axis=0)  # back to (2B, 64, bins)
        record["dec.input"] = ours(x[:, 0], 0, 2, 1)  # (2B, latent, 64)
        record["dec.magnitude"] = ours(split(magnitude), 0, 2, 1)  # (2B, bins, 64)
        record["dec.phase"] = ours(split(phase), 0, 2, 1)
        # The heads before the clip to ±1, straight from their convolutions.
        unclipped = tf.keras.Model(dec.inputs, [dec.get_layer(n).output for n in heads])
        magnitude, phase = run(unclipped, x)
        record["dec.magnitude_unclipped"] = ours(magnitude[:, 0], 0, 2, 1)
        record["dec.phase_unclipped"] = ours(phase[:, 0], 0, 2, 1)

        # ENC2: (B, 1, 128, latent) → (2B, 1, 4, latdepth): vectors 0–3 of item b are item b, 4–7 item B + b.
        x = rng.uniform(-1, 1, (BATCH, 1, 128, frame_channels)).astype(np.float32)
        y = run(enc2, x)[0]
        y = np.concatenate([y[:BATCH], y[BATCH:]], axis=2)[:, 0]  # (B, 8, latdepth)
        record["enc2.input"] = ours(x[:, 0], 0, 2, 1)
        record["enc2.output"] = ours(y, 0, 2, 1)

        # DEC2: (2B, 1, 4, latdepth) → (B, 1, 128, latent): item b followed by item B + b.
        x = rng.uniform(-1, 1, (2 * BATCH, 1, 4, latdepth)).astype(np.float32)
        y = run(dec2, x)[0][:, 0]
        y = np.concatenate([y[:, :64], y[:, 64:]], axis=0)  # (2B, 64, latent)
        record["dec2.input"] = ours(x[:, 0], 0, 2, 1)
        record["dec2.output"] = ours(y, 0, 2, 1)

        # Generators: (B, latlen, 2·latdepth) coordinates → (B, 1, latlen, 2·latdepth); each half of
        # latlen is one window, generated on its own. Ours: one window per item, item 2b + k = window k of b.
        for key, model, latlen in [("gen", gen, args.latlen), ("gen_small", gen_small, small_args.latlen)]:
            x = rng.standard_normal((BATCH, latlen, 2 * latdepth)).astype(np.float32)
            y = run(model, x)[0][:, 0]
            window = latlen // 2
            record[f"{key}.input"] = ours(x.reshape(2 * BATCH, window, -1), 0, 2, 1)
            record[f"{key}.output"] = ours(y.reshape(2 * BATCH, window, -1), 0, 2, 1)

        # The chain latents → waveform, by the original's own decoding path (8-vector chunks,
        # DEC2 on 4-vector halves, DEC on 64-frame halves, one inverse STFT per channel).
        waveform = np.asarray(utils.decode_waveform(latents, dec, dec2, batch_size=64))  # (samples, 2)
        peak = np.abs(waveform).max()
        assert 0.2 < peak < 0.9, f"the reference waveform peaks at {peak}: a clipped or quiet reference hides differences"
        record["chain.latents"] = ours(latents[0, 0], 1, 0)  # (2·latdepth, vectors)
        record["chain.waveform"] = ours(waveform, 1, 0)  # (2, samples)

        metadata = {
            "size": options.size,
            "seed": str(options.seed),
            "hop": str(hop),
            "latdepth": str(latdepth),
            "base_channels": str(args.base_channels),
            "tensorflow": tf.__version__,
        }
        commit = options.commit or original_commit(options.musika)
        if commit:
            metadata["musika_original_commit"] = commit
        if options.size == "tiny":
            metadata.update(break_enc2(os.path.join(staging, "ae", "enc2.h5"), os.path.join(staging, "broken"), h5py))
            fixed_length_names(os.path.join(staging, "ae", "enc.h5"), h5py)
        write_safetensors({name: np.asarray(value, dtype="<f4") for name, value in record.items()},
                          os.path.join(staging, "reference.safetensors"), metadata)

        for root, folders, files in os.walk(staging):
            os.chmod(root, 0o755)
            for name in files:
                os.chmod(os.path.join(root, name), 0o644)
        if os.path.exists(options.out):
            shutil.rmtree(options.out)
        os.rename(staging, options.out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    for key, value in record.items():
        print(f"{key:28s} {str(value.shape):18s} max |x| {np.abs(value).max():.4f}")
    print(options.out)


def break_enc2(source, folder, h5py):
    """Three damaged copies of enc2.h5, each with one fault; returns the dataset each one names."""
    os.makedirs(folder, exist_ok=True)
    with h5py.File(source, "r") as f:
        layers = [n for n in f.attrs["layer_names"] if len(f[n].attrs["weight_names"])]
        weights = lambda layer: [f"{layer}/{w}" for w in f[layer].attrs["weight_names"]]
        missing = weights(layers[3])[1]  # a bias in the middle
        mis_shaped = weights(layers[1])[0]  # a kernel
        extra = f"{layers[-1]}/{layers[-1]}/gamma:0"  # in a layer's group, but in no weight_names

    def remove(f):
        del f[missing]

    def add(f):
        f.create_dataset(extra, data=np.ones(8, np.float32))

    def reshape(f):
        shape = f[mis_shaped].shape
        del f[mis_shaped]
        f.create_dataset(mis_shaped, data=np.zeros(shape[:-1] + (shape[-1] + 1,), np.float32))

    for fault, damage in [("missing", remove), ("extra", add), ("wrong_shape", reshape)]:
        target = os.path.join(folder, f"enc2_{fault}.h5")
        shutil.copyfile(source, target)
        with h5py.File(target, "r+") as f:
            damage(f)
    return {"broken.missing": missing, "broken.extra": extra, "broken.wrong_shape": mis_shaped}


def fixed_length_names(path, h5py):
    """Rewrites the name lists of `path` as fixed-length byte strings, the other form Keras files hold
    (h5py 2 wrote those), so both are tested."""
    with h5py.File(path, "r+") as f:
        groups = [f] + [f[n] for n in f.attrs["layer_names"]]
        for group, key in [(g, "layer_names" if g is f else "weight_names") for g in groups]:
            names = [n.encode() if isinstance(n, str) else n for n in group.attrs[key]]
            del group.attrs[key]
            group.attrs[key] = np.array(names, dtype=f"S{max([len(n) for n in names] + [1])}")


if __name__ == "__main__":
    main()
