#!/usr/bin/env bash
# Installs what Musika needs on Debian 12 (or Ubuntu): libtorch, an optimised BLAS, libsndfile,
# libsoxr, zlib (compressed PNGs), and libhdf5 with pkg-config (to read the original Musika's Keras weights). Idempotent: when everything is present it only checks, in well under a second.
# With LIBTORCH=/path set (another libtorch, e.g. a PyTorch wheel's torch/ folder), libtorch-dev is skipped.
set -euo pipefail

packages=(libopenblas0-openmp libsndfile1-dev libsoxr-dev libhdf5-dev zlib1g-dev pkgconf)
if [ -z "${LIBTORCH:-}" ]; then
  packages=(libtorch-dev "${packages[@]}")
elif [ ! -d "$LIBTORCH/include" ] || [ ! -d "$LIBTORCH/lib" ]; then
  echo "setup: LIBTORCH=$LIBTORCH has no include/ and lib/ folders; point it at a libtorch folder (e.g. site-packages/torch)." >&2
  exit 1
fi

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "setup: not a Debian-based system; install these yourself: ${packages[*]} (and a Swift 6 toolchain)." >&2
else
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]} (one-time, a few minutes)…" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
      sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
  # libtorch links the generic libblas.so.3; make sure it resolves to OpenBLAS, not the reference BLAS
  # (15× slower matrix products).
  if command -v update-alternatives >/dev/null 2>&1; then
    arch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)
    current=$(update-alternatives --query "libblas.so.3-$arch" 2>/dev/null | sed -n 's/^Value: //p')
    case "$current" in
      *openblas*|"") ;;
      *) echo "setup: warning: libblas.so.3 points to $current (slow). Select OpenBLAS: sudo update-alternatives --config libblas.so.3-$arch" >&2 ;;
    esac
  fi
fi

if ! command -v swift >/dev/null 2>&1; then
  echo "setup: no Swift toolchain on PATH. Install Swift 6 (https://www.swift.org/install/linux/) and retry." >&2
  exit 1
fi
