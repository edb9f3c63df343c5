#!/usr/bin/env python3
"""A linear reference point for the spectral codec: PCA of normalised log-magnitude frames.

ENC's level-1 latent is a per-frame code of `--components` numbers; this script fits the best
*linear* such code (PCA) on training audio and decodes held-out audio through it, with the true
phase and with 32 Griffin-Lim iterations, scored with `musika codec eval`'s log-mel L1 (2048/512
STFT, 128 Slaney mel bands, log10 power floored at 1e-5; its "true magnitude + GL" row matches
codec eval's). A codec's level 1 should beat it. `--floor-db` sets the normalisation's −1 as
`musika codec train --floor-db` does (default: the original's μ −25, σ 75).

    python3 scripts/pca_codec_reference.py music/mix/train music/heldout/blupi/audio --floor-db 100

Needs numpy, scipy, soundfile (pip). Minutes on 2 cores; not part of the tests.
"""
import argparse, glob, math, random
import numpy as np, soundfile as sf
from scipy.signal import resample_poly, stft, istft

SR, NFFT, HOP = 44100, 1024, 256

def load(path, seconds):
    x, sr = sf.read(path, always_2d=True, dtype='float32')
    x = x.T
    x = np.repeat(x, 2, 0) if x.shape[0] == 1 else x[:2]
    if sr != SR:
        g = math.gcd(sr, SR)
        x = resample_poly(x, SR // g, sr // g, axis=1).astype(np.float32)
    n = min(x.shape[1], int(seconds * SR)); s = (x.shape[1] - n) // 2
    return x[:, s:s + n]

def spec(x):  # scipy scales by 1/Σwindow; ×512 gives torch's unnormalised STFT
    return stft(x, nperseg=NFFT, noverlap=NFFT - HOP, window='hann', boundary='even', padded=True)[2] * 512

def synth(Z):
    return istft(Z / 512, nperseg=NFFT, noverlap=NFFT - HOP, window='hann')[1]

def mel_matrix(n=2048, bands=128):
    hz2m = lambda f: 3 * f / 200 if f < 1000 else 15 + 27 * np.log(f / 1000) / np.log(6.4)
    m2hz = lambda m: 200 * m / 3 if m < 15 else 1000 * np.exp((m - 15) * np.log(6.4) / 27)
    f = np.arange(n // 2 + 1) * SR / n; top = hz2m(SR / 2)
    e = [m2hz(top * i / (bands + 1)) for i in range(bands + 2)]
    W = np.zeros((bands, n // 2 + 1))
    for b in range(bands):
        lo, mid, hi = e[b], e[b + 1], e[b + 2]
        W[b] = np.maximum(0, np.minimum((f - lo) / (mid - lo), (hi - f) / (hi - mid))) * 2 / (hi - lo)
    return W

MEL = mel_matrix()

def log_mel(x):
    Z = stft(x, nperseg=2048, noverlap=1536, window='hann', boundary='even', padded=True)[2] * 1024
    return np.log10(np.maximum(MEL @ np.abs(Z) ** 2, 1e-5))

def log_mel_l1(a, b):
    n = min(a.shape[1], b.shape[1])
    return np.abs(log_mel(a[:, :n]) - log_mel(b[:, :n])).mean()

def griffin_lim(M, iterations=32, seed=0):
    P = np.exp(2j * np.pi * np.random.default_rng(seed).random(M.shape))
    for _ in range(iterations):
        P = np.exp(1j * np.angle(spec(synth(M * P))[..., :M.shape[-1]]))
    return synth(M * P)

def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('train'); ap.add_argument('heldout')
    ap.add_argument('--components', type=int, default=64)
    ap.add_argument('--floor-db', type=float, help='dB below a full-scale sine mapped to −1')
    ap.add_argument('--train-files', type=int, default=40)
    ap.add_argument('--seconds', type=float, default=20, help='held-out seconds per file, from its middle')
    a = ap.parse_args()
    if a.floor_db is None:
        mu, sigma = -25.0, 75.0
    else:
        sine = 20 * math.log10(NFFT / 4); top, bottom = sine + 6, sine - a.floor_db
        mu, sigma = (top + bottom) / 2, (top - bottom) / 2
    norm = lambda Z: np.maximum((10 * np.log10(np.maximum(np.abs(Z) ** 2, 1e-10)) - mu) / sigma, -1)
    denorm = lambda S: 10 ** ((np.clip(S, -1, 1) * sigma + mu) / 20)
    files = lambda d: sorted(p for p in glob.glob(d + '/**/*', recursive=True)
                             if p.lower().endswith(('.wav', '.flac', '.ogg', '.opus', '.mp3')))
    train = files(a.train); random.Random(0).shuffle(train)
    frames = [norm(spec(load(p, 30))).transpose(0, 2, 1).reshape(-1, NFFT // 2 + 1) for p in train[:a.train_files]]
    F = np.concatenate(frames)
    mean = F.mean(0)
    V = np.linalg.svd(F[::3] - mean, full_matrices=False)[2][:a.components]
    true_phase, gl, reference = [], [], []
    for p in files(a.heldout):
        x = load(p, a.seconds); Z = spec(x)
        R = ((norm(Z).transpose(0, 2, 1) - mean) @ V.T @ V + mean).transpose(0, 2, 1)
        true_phase.append(log_mel_l1(synth(denorm(R) * np.exp(1j * np.angle(Z))), x))
        gl.append(log_mel_l1(griffin_lim(denorm(R)), x))
        reference.append(log_mel_l1(griffin_lim(np.abs(Z)), x))
    print(f'{len(F)} training frames, {len(true_phase)} held-out files, μ {mu:.1f} σ {sigma:.1f}')
    print(f'PCA-{a.components}: log-mel L1 {np.mean(true_phase):.3f} with the true phase, '
          f'{np.mean(gl):.3f} with Griffin-Lim; true magnitude + Griffin-Lim {np.mean(reference):.3f}')

if __name__ == '__main__':
    main()
