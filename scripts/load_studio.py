#!/usr/bin/env python3
"""Load test of Musika Studio: N concurrent endless streams, each pulled at real time like the page.

Starts `musika serve` on a free loopback port, opens --streams streams on one model (seeds 0…N-1),
and plays each for --seconds as the page's AudioWorklet does: playback starts when the first chunk
arrives, the next chunk is asked for once less than 1.2 s is queued, and an underrun is a moment
the queue ran dry (playback then waits for the chunk, as a player would stall). Prints per-stream
underruns, the chunk latency (p50, p99, max: the time of one POST …/next), the first chunk's latency
and the server's peak memory. Bounded (--seconds plus set-up) and loopback only. Not part of CI.

    python3 scripts/load_studio.py --musika .build/release/musika --streams 8 --seconds 60
"""
import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(connection, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    connection.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = connection.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def peak_memory_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def play(port, model, seed, seconds, low_water, result):
    try:
        stream_at_real_time(port, model, seed, seconds, low_water, result)
    except Exception as error:  # a thread's failure must reach the summary, not vanish
        result["error"] = f"stream {seed}: {error!r}"


def stream_at_real_time(port, model, seed, seconds, low_water, result):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    status, _, body = request(connection, "POST", "/api/streams", {"model": model, "seed": seed})
    if status != 201:
        result["error"] = f"open: {status} {body[:200]!r}"
        return
    opened = json.loads(body)
    rate, stream = opened["sampleRate"], opened["id"]
    latencies, underruns, stalled = [], 0, 0.0
    received = 0           # frames
    play_start = None      # wall time at which frame 0 plays (moves later by each stall)
    try:
        while True:
            now = time.monotonic()
            if play_start is not None:
                consumed = (now - play_start) * rate
                if consumed >= seconds * rate:
                    break
                queued = (received - consumed) / rate
                if queued > low_water:
                    time.sleep(queued - low_water)
                    continue
            asked = time.monotonic()
            status, headers, body = request(connection, "POST", f"/api/streams/{stream}/next")
            arrived = time.monotonic()
            if status != 200:
                result["error"] = f"next: {status} {body[:200]!r}"
                return
            latencies.append(arrived - asked)
            frames = len(body) // 8  # stereo float32
            if play_start is None:
                play_start = arrived
                result["first_chunk"] = arrived - asked
            else:
                dry_at = play_start + received / rate
                if arrived > dry_at:
                    underruns += 1
                    stalled += arrived - dry_at
                    play_start += arrived - dry_at
            received += frames
    finally:
        try:
            request(connection, "DELETE", f"/api/streams/{stream}")
        except Exception:
            pass
        connection.close()
    result.update(latencies=latencies, underruns=underruns, stalled=stalled, played=received / rate)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--musika", default=".build/release/musika", help="the musika binary")
    parser.add_argument("--models", help="models folder (default: the bundled models/)")
    parser.add_argument("--model", default="techno", help="model to stream")
    parser.add_argument("--streams", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60, help="seconds each stream plays")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="the server's --threads")
    parser.add_argument("--low-water", type=float, default=1.2, help="ask for the next chunk below this many queued seconds")
    args = parser.parse_args()
    if not os.access(args.musika, os.X_OK):
        sys.exit(f"--musika {args.musika}: not an executable; build it with: swift build -c release")

    port = free_port()
    command = [args.musika, "serve", "--port", str(port), "--max-streams", str(args.streams),
               "--threads", str(args.threads)] + (["--models", args.models] if args.models else [])
    # The server logs a line per request: to a file, since an unread pipe would fill and stall it.
    log = tempfile.TemporaryFile()
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)
    try:
        for _ in range(200):
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                if request(connection, "GET", "/health")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            log.seek(0)
            sys.exit("musika serve did not answer /health: " + log.read().decode()[-2000:])
        # Load (and warm) the model once, as the page's model list does, before the clock starts.
        status, _, body = request(http.client.HTTPConnection("127.0.0.1", port, timeout=120), "GET", "/api/models")
        names = [m["name"] for m in json.loads(body)]
        if args.model not in names:
            sys.exit(f"--model {args.model}: not served; the server has {names}")

        results = [dict() for _ in range(args.streams)]
        threads = [threading.Thread(target=play, args=(port, args.model, seed, args.seconds, args.low_water, results[seed]))
                   for seed in range(args.streams)]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - began
        alive = server.poll() is None
        memory = peak_memory_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)

    errors = [r["error"] for r in results if "error" in r]
    if errors:
        sys.exit("load test failed: " + "; ".join(errors))
    latencies = sorted(l for r in results for l in r["latencies"])

    def quantile(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))]

    print(f"{args.streams} streams of '{args.model}' × {args.seconds:.0f} s, server --threads {args.threads}, "
          f"{wall:.1f} s wall")
    for seed, r in enumerate(results):
        print(f"  stream {seed}: received {r['played']:.1f} s, {len(r['latencies'])} chunks, "
              f"underruns {r['underruns']} (stalled {r['stalled']:.2f} s), first chunk {r['first_chunk'] * 1000:.0f} ms")
    print(f"underruns: {sum(r['underruns'] for r in results)} in all")
    print(f"chunk latency: p50 {quantile(0.5) * 1000:.0f} ms, p99 {quantile(0.99) * 1000:.0f} ms, "
          f"max {latencies[-1] * 1000:.0f} ms over {len(latencies)} chunks (a chunk is ~1.5 s of audio)")
    print(f"server: {'alive' if alive else 'DIED'} at the end, peak memory {memory:.0f} MiB")
    sys.exit(0 if alive else 1)


if __name__ == "__main__":
    main()
