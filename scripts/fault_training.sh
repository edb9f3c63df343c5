#!/usr/bin/env bash
# Faults during training, measured: `kill -9` at random moments, and a full disk during a checkpoint
# write. A micro codec trains on a few seconds of synthetic audio three ways:
#   reference  uninterrupted;
#   killed     SIGKILLed at a random moment N times (--kills), each time started again with the same
#              command, then run to the end;
#   full disk  stopped once by a file-size limit (ulimit -f: writes past it fail with EFBIG, as on a
#              full disk) while it writes a checkpoint, then resumed without the limit.
# Each must end with the same weights as the reference, byte for byte, and every restart must load.
#
#   scripts/fault_training.sh [--kills 10] [--binary .build/release/musika] [--keep]
#
# Not part of CI (it takes a minute or two); the README quotes its figures.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
kills=10
binary="$root/.build/release/musika"
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --kills) kills="$2"; shift 2 ;;
    --binary) binary="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n 2,14p "$0"; exit 0 ;;
    *) echo "fault_training: unknown argument $1 (see --help)" >&2; exit 64 ;;
  esac
done
[ -x "$binary" ] || { echo "fault_training: no binary at $binary; build it (./musika --version) or pass --binary" >&2; exit 1; }

work=$(mktemp -d /tmp/musika-faults.XXXXXX)
[ "$keep" = 1 ] || trap 'rm -rf "$work"' EXIT
export MUSIKA_CACHE="$work/cache"
mkdir -p "$work/audio"
# Four 6-second stereo WAVs of chords with a little noise (Python's standard library only).
python3 - "$work/audio" <<'EOF'
import math, random, struct, sys, wave
random.seed(1)
for k in range(4):
    with wave.open(f"{sys.argv[1]}/tone{k}.wav", "wb") as w:
        w.setnchannels(2); w.setsampwidth(2); w.setframerate(44100)
        freqs = [110 * 2 ** ((k * 3 + i * 4) / 12) for i in range(3)]
        frames = bytearray()
        for n in range(6 * 44100):
            t = n / 44100
            x = sum(math.sin(2 * math.pi * f * t) for f in freqs) / 4 + random.uniform(-0.02, 0.02)
            frames += struct.pack("<hh", int(x * 32000), int(x * 0.9 * 32000))
        w.writeframes(bytes(frames))
EOF

train() {  # train OUT [extra args…]
  local out="$1"; shift
  "$binary" codec train --audio "$work/audio" --config micro --level1-steps 150 --level2-steps 60 \
    --checkpoint-every 7 --milestone-every 1000 --sample-every 100000 --threads 1 --out "$work/$out" "$@"
}
weights() { sha256sum "$work/$1/codec/codec.safetensors" | cut -d' ' -f1; }

echo "reference: uninterrupted run…"
start=$(date +%s.%N)
train reference > "$work/reference.log" 2>&1
seconds=$(echo "$(date +%s.%N) - $start" | bc)
echo "  $(weights reference) (${seconds} s)"

echo "killed: $kills SIGKILLs at random moments…"
latest_step() { sed -n 's/.*"step" *: *\([0-9]*\).*/\1/p' "$work/$1/checkpoints/latest/checkpoint.json" 2>/dev/null || true; }
resumed=0
for i in $(seq 1 "$kills"); do
  from=$(latest_step killed)
  train killed > "$work/killed-$i.log" 2>&1 &
  pid=$!
  # Somewhere between start-up and the end of the run.
  # Spread so that the kills land all through the run (each restart also pays the start-up).
  sleep "$(python3 -c "import random; print(round(random.uniform(0.3, max(1.0, 2.5 * $seconds / $kills)), 2))")"
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  [ -n "$from" ] && resumed=$((resumed + 1))
  echo "  kill $i: started from step ${from:-0}, latest checkpoint now at step $(latest_step killed)"
done
train killed > "$work/killed-final.log" 2>&1
echo "  resumed and finished: $(weights killed) ($resumed of $kills restarts resumed a checkpoint)"

echo "full disk: a checkpoint write fails past a 200 kB file-size limit…"
train disk --stop-after 20 > "$work/disk-1.log" 2>&1
before=$(sha256sum "$work/disk/checkpoints/latest/"* | sha256sum | cut -d' ' -f1)
set +e
( ulimit -f 200; trap '' XFSZ; train disk > "$work/disk-2.log" 2>&1 )
status=$?
set -e
after=$(sha256sum "$work/disk/checkpoints/latest/"* | sha256sum | cut -d' ' -f1)
echo "  the limited run exited with status $status: $(grep -m1 -i "error\|cannot\|failed" "$work/disk-2.log" || echo '(no error line)')"
[ "$before" = "$after" ] && echo "  the last good checkpoint is intact" || echo "  the checkpoint changed (expected when it was replaced whole by a later good one)"
train disk > "$work/disk-3.log" 2>&1
echo "  resumed and finished: $(weights disk)"

fail=0
[ "$(weights killed)" = "$(weights reference)" ] || { echo "FAIL: the killed run's weights differ from the reference"; fail=1; }
[ "$(weights disk)" = "$(weights reference)" ] || { echo "FAIL: the full-disk run's weights differ from the reference"; fail=1; }
[ "$status" -ne 0 ] || { echo "FAIL: the run under the file-size limit did not fail"; fail=1; }
[ "$fail" = 0 ] && echo "all equal: $kills kills and a full disk, every resume continued to the reference's weights"
exit "$fail"
