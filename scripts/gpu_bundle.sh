#!/bin/bash
# Packs musika for a Linux x86-64 machine with an NVIDIA GPU and PyTorch but no Swift toolchain
# (a rented GPU box, a cluster node): one .tar.xz holding
#   musika                    the Swift binary built here (any libtorch: it loads its engine at run time)
#   libMusikaTorchEngine.so   the engine built against TORCH_DIR, the `torch` folder of a PyTorch CUDA
#                             wheel of the SAME version as the target machine's PyTorch
#   lib/                      the binary's own libraries (Swift runtime, libsndfile and codecs, soxr,
#                             hdf5…), copied from this machine; glibc, libstdc++ and CUDA come from there
#   musika-gpu                a launcher that finds the target's torch/lib through its python3
# On the target: `mkdir m && tar xJf musika-gpu.tar.xz -C m && m/musika-gpu train … --device cuda`.
#
# Usage: scripts/gpu_bundle.sh TORCH_DIR OUT.tar.xz
#   TORCH_DIR: e.g. `pip download torch==2.11.0 --no-deps --only-binary=:all: --python-version 3.12
#   --platform manylinux_2_28_x86_64 -d w && unzip -q w/torch-*.whl 'torch/include/*' 'torch/lib/*' -d w`
#   then w/torch. Only its headers and libraries are used here; the wheel's CUDA libraries are not
#   needed on this machine, but the engine cannot be tried here without them.
# Environment: MUSIKA_BUILD (default .build) and ENGINE_BUILD (default .build-gpu-engine) are the
# SwiftPM scratch folders of the two builds.
set -euo pipefail
if [ $# -ne 2 ] || [ ! -f "$1/include/torch/script.h" ]; then
  echo "usage: $0 TORCH_DIR OUT.tar.xz   (TORCH_DIR: a PyTorch wheel's torch folder, with include/ and lib/)" >&2
  exit 2
fi
torch_dir=$(cd "$1" && pwd)
out=$(realpath -m "$2")
root=$(cd "$(dirname "$0")/.." && pwd)
musika_build=${MUSIKA_BUILD:-$root/.build}
engine_build=${ENGINE_BUILD:-$root/.build-gpu-engine}
cd "$root"

echo "building musika (release) in $musika_build…"
swift build -c release --scratch-path "$musika_build" --product musika
echo "building the engine against $torch_dir in $engine_build…"
LIBTORCH="$torch_dir" swift build -c release --scratch-path "$engine_build" --product MusikaTorchEngine

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/lib"
cp "$musika_build/release/musika" "$engine_build/release/libMusikaTorchEngine.so" "$stage/"
strip "$stage/musika" "$stage/libMusikaTorchEngine.so"
# Everything both files link to, except what the target must supply itself: glibc's own libraries,
# the C++ and GCC runtimes (newer there is fine, older here is not) and libtorch with its CUDA libraries.
{ ldd "$musika_build/release/musika"; ldd "$engine_build/release/libMusikaTorchEngine.so" 2>/dev/null || true; } |
  awk '$2 == "=>" && $3 ~ /^\// { print $1, $3 }' |
  grep -v -E '^(libc|libm|libdl|librt|libpthread|libresolv|ld-linux-x86-64|libgcc_s|libstdc\+\+)\.so|^(libtorch|libc10|libcudart|libcupti|libgomp)' |
  sort -u | while read -r name path; do cp -L "$path" "$stage/lib/$name"; done
cat > "$stage/musika-gpu" <<'EOF'
#!/bin/sh
# Runs musika with the engine built for this machine's PyTorch (TORCH_LIB names its torch/lib folder
# when `python3 -c 'import torch'` would not find it).
here=$(cd "$(dirname "$0")" && pwd)
torch_lib=${TORCH_LIB:-$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')} || {
  echo "musika-gpu: no PyTorch found by python3; set TORCH_LIB=/path/to/site-packages/torch/lib" >&2; exit 1; }
export LD_LIBRARY_PATH="$torch_lib:$here/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export MUSIKA_TORCH_ENGINE="$here/libMusikaTorchEngine.so"
exec "$here/musika" "$@"
EOF
chmod +x "$stage/musika-gpu"
echo "packing $(ls "$stage/lib" | wc -l) libraries…"
tar cf - -C "$stage" . | xz -T0 -9 > "$out.partial"
mv "$out.partial" "$out"
echo "$out: $(du -h "$out" | cut -f1)"
