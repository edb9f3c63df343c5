#!/usr/bin/env python3
"""Bad-input run against Musika Studio's HTTP API: every case must get a 4xx (or a 2xx where the
input is in fact valid) with a JSON error naming the problem, never a 5xx, and the server must stay
alive and keep serving.

Starts `musika serve` on a free loopback port (clips capped at 2 s), then sends: malformed JSON
(truncated, binary, invalid UTF-8, 100 000-deep nesting), oversized bodies, bodies whose
Content-Length lies, wrong types and out-of-range values for every field, unknown fields, wrong
content types, unknown paths and methods, path traversal, 100 KB URLs and headers, bad query
parameters, random byte mutations of valid bodies (--mutations, seeded), and slow clients (a
request sent a byte at a time; connections opened and left idle; a WAV stream nobody reads).
Bounded, loopback only, not part of CI.

    python3 scripts/fuzz_studio.py --musika .build/release/musika --mutations 2000
"""
import argparse
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import time

from load_studio import free_port


class Fuzz:
    def __init__(self, port, server):
        self.port, self.server = port, server
        self.cases, self.failures, self.statuses = 0, [], {}

    def raw(self, data, read_timeout=30):
        """Sends bytes as they are; returns (status, headers, body) or None when the server closed."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=read_timeout) as s:
            s.sendall(data)
            return self.read_response(s)

    @staticmethod
    def read_response(s):
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = s.recv(65536)
            if not chunk:
                return None
            buffer += chunk
        head, body = buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
        length = int(headers.get("content-length", "0") or 0)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        return status, headers, body

    def send(self, method, path, body=None, content_type="application/json", headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = dict(headers or {})
        if body is not None and content_type:
            all_headers["Content-Type"] = content_type
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            result = response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        except (ConnectionResetError, BrokenPipeError, http.client.RemoteDisconnected):
            result = None  # the server may hang up on a request it refuses before reading it all
        connection.close()
        return result

    def check(self, name, result, allowed=(400, 404, 405, 406, 413, 415, 429, 431)):
        self.cases += 1
        if result is None:
            # A server may close a connection whose request it cannot parse; it must still be alive.
            self.statuses["closed"] = self.statuses.get("closed", 0) + 1
            self.alive(name)
            return
        status, headers, body = result
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500 or (status not in allowed and not 200 <= status < 300):
            self.failures.append(f"{name}: status {status}: {body[:200]!r}")
        elif status >= 400 and not name.startswith("HEAD ") and headers.get("content-type", "").startswith("application/json"):
            try:
                message = json.loads(body)["error"]
                if not message:
                    self.failures.append(f"{name}: empty error message")
            except Exception:
                self.failures.append(f"{name}: a {status} whose JSON has no 'error': {body[:200]!r}")

    def alive(self, name):
        if self.server.poll() is not None:
            raise SystemExit(f"the server died after case '{name}' (exit {self.server.returncode})")
        status = (self.send("GET", "/health") or (0,))[0]
        if status != 200:
            self.failures.append(f"after {name}: /health answered {status}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--musika", default=".build/release/musika")
    parser.add_argument("--models", help="models folder (default: the bundled models/)")
    parser.add_argument("--mutations", type=int, default=1000, help="random byte mutations of valid bodies")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not os.access(args.musika, os.X_OK):
        sys.exit(f"--musika {args.musika}: not an executable; build it with: swift build -c release")
    rng = random.Random(args.seed)
    port = free_port()
    server = subprocess.Popen([args.musika, "serve", "--port", str(port), "--max-clip-seconds", "2", "--max-streams", "4",
                               "--stream-idle-seconds", "5"] + (["--models", args.models] if args.models else []),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    fuzz = Fuzz(port, server)
    began = time.monotonic()
    try:
        for _ in range(200):
            try:
                if (fuzz.send("GET", "/health") or (0,))[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        else:
            raise SystemExit("musika serve did not answer /health")
        models = json.loads(fuzz.send("GET", "/api/models")[2])
        model = models[0]["name"]
        valid_clip = {"model": model, "seconds": 0.5, "seed": 3}
        valid_stream = {"model": model, "seed": 1}

        # 1. Malformed bodies.
        for name, body in [
            ("empty", b""), ("truncated", b'{"model": "x", "seconds"'), ("binary", bytes(range(256)) * 4),
            ("invalid UTF-8", b'{"model": "\xff\xfe", "seconds": 1}'), ("NaN literal", b'{"model": "x", "seconds": NaN}'),
            ("deep arrays", b"[" * 100_000 + b"]" * 100_000), ("deep objects", b'{"a":' * 50_000 + b"1" + b"}" * 50_000),
            ("array", b"[1, 2]"), ("string", b'"clip"'), ("null", b"null"), ("number", b"1e999"),
            ("duplicate keys", b'{"model": "x", "model": "y", "seconds": 1}'),
            ("huge number", json.dumps({"model": model, "seconds": 1, "seed": 2 ** 80}).encode()),
            ("1e308 seconds", b'{"model": "%s", "seconds": 1e308}' % model.encode()),
            ("-0 seconds", b'{"model": "%s", "seconds": -0.0}' % model.encode()),
        ]:
            for path in ["/api/generate", "/api/spectrogram", "/api/streams"]:
                fuzz.check(f"{name} → {path}", fuzz.send("POST", path, body))
        fuzz.alive("malformed bodies")

        # 2. Wrong types and out-of-range values, field by field; unknown fields.
        odd_values = ["text", "", None, True, [], {}, [1, 2], -1, 0, 1e-300, 1e300, -1e300, 2 ** 63, "1", {"$ref": "x"}]
        for field in ["model", "seconds", "format", "seed", "truncation", "tempo", "density", "densityCurve"]:
            for value in odd_values:
                body = json.dumps(dict(valid_clip, **{field: value})).encode()
                fuzz.check(f"clip {field}={value!r}", fuzz.send("POST", "/api/generate", body))
        for field in ["model", "seed", "truncation", "tempo", "density"]:
            for value in odd_values:
                body = json.dumps(dict(valid_stream, **{field: value})).encode()
                result = fuzz.send("POST", "/api/streams", body)
                fuzz.check(f"stream {field}={value!r}", result)
                if result and result[0] == 201:
                    fuzz.send("DELETE", f"/api/streams/{json.loads(result[2])['id']}")
        fuzz.check("unknown field", fuzz.send("POST", "/api/generate", json.dumps(dict(valid_clip, colour="blue")).encode()))
        fuzz.check("density curve of 100 000 points", fuzz.send(
            "POST", "/api/generate", json.dumps(dict(valid_clip, densityCurve=[[i * 1e-5, 1] for i in range(100_000)])).encode()))
        fuzz.alive("wrong types")

        # 3. Sizes, content types, lies.
        fuzz.check("2 MiB body", fuzz.send("POST", "/api/generate", b" " * (2 << 20)))
        fuzz.check("form encoding", fuzz.send("POST", "/api/generate", json.dumps(valid_clip).encode(),
                                              content_type="application/x-www-form-urlencoded"))
        fuzz.check("text/plain", fuzz.send("POST", "/api/generate", json.dumps(valid_clip).encode(), content_type="text/plain"))
        fuzz.check("Accept image/gif", fuzz.send("POST", "/api/generate", json.dumps(valid_clip).encode(),
                                                 headers={"Accept": "image/gif"}))
        # A Content-Length that promises 10 MB, a few bytes, then the client goes.
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                s.sendall(b"POST /api/generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                          b"Content-Length: 10000000\r\n\r\n{\"model\"")
        except OSError:
            pass
        fuzz.alive("Content-Length lie")
        fuzz.check("100 KB header", fuzz.raw(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n"))
        fuzz.check("garbage request line", fuzz.raw(b"\x00\x01\x02 nonsense\r\n\r\n"))
        fuzz.check("HTTP/0.9", fuzz.raw(b"GET /\r\n\r\n"))
        fuzz.alive("sizes and headers")

        # 4. Paths, methods and query parameters.
        stream_id = json.loads(fuzz.send("POST", "/api/streams", json.dumps(valid_stream).encode())[2])["id"]
        for method in ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]:
            for path in ["/api/generate", "/api/models", "/api/streams", "/api/streams/nope/next", "/api/nowhere",
                         "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/studio.js/..%2f..%2fPackage.swift",
                         "/api/streams/" + "x" * 100_000, f"/api/streams/{stream_id}/next?format=xx",
                         f"/api/streams/{stream_id}/audio?seconds=-1", f"/api/streams/{stream_id}/audio?seconds=abc",
                         f"/api/streams/{stream_id}/audio?seconds=1e400", f"/api/streams/{stream_id}/audio?seconds=1e300",
                         f"/api/streams/{stream_id}/audio?seconds=5e13", "/openapi.json?%%%"]:
                if method == "DELETE" and stream_id in path:
                    continue
                result = fuzz.send(method, path)
                fuzz.check(f"{method} {path[:60]}", result)
                if result and result[0] == 200 and b"root:" in result[2]:
                    fuzz.failures.append(f"{method} {path[:60]}: served a file from outside the page folder")
        fuzz.send("DELETE", f"/api/streams/{stream_id}")
        fuzz.alive("paths and methods")

        # 5. Random mutations of valid bodies (seeded).
        seeds = [json.dumps(valid_clip).encode(), json.dumps(valid_stream).encode(),
                 json.dumps(dict(valid_clip, densityCurve=[[0, 1], [1, 2]], truncation=1.5, format="flac")).encode()]
        for i in range(args.mutations):
            body = bytearray(rng.choice(seeds))
            for _ in range(rng.randint(1, 6)):
                op = rng.random()
                position = rng.randrange(len(body) + 1)
                if op < 0.4 and body:
                    body[min(position, len(body) - 1)] = rng.randrange(256)
                elif op < 0.7:
                    body[position:position] = bytes([rng.choice(b'{}[]":,0123456789.-eE nul') for _ in range(rng.randint(1, 4))])
                elif body:
                    del body[position:position + rng.randint(1, 4)]
            path = rng.choice(["/api/generate", "/api/streams", "/api/spectrogram"])
            result = fuzz.send("POST", path, bytes(body))
            fuzz.check(f"mutation {i} → {path}: {bytes(body)[:80]!r}", result, allowed=(400, 404, 413, 415, 429))
            if result and result[0] == 201:
                fuzz.send("DELETE", f"/api/streams/{json.loads(result[2])['id']}")
        fuzz.alive("mutations")

        # 6. Slow and silent clients.
        slow = socket.create_connection(("127.0.0.1", port), timeout=30)
        request = (b"POST /api/streams HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                   + str(len(json.dumps(valid_stream))).encode() + b"\r\n\r\n" + json.dumps(valid_stream).encode())
        idle = [socket.create_connection(("127.0.0.1", port), timeout=30) for _ in range(50)]
        for byte in request:
            slow.sendall(bytes([byte]))
            time.sleep(0.02)
        result = Fuzz.read_response(slow)
        fuzz.check("request sent a byte at a time", result, allowed=(201, 429))
        if result and result[0] == 201:
            fuzz.send("DELETE", f"/api/streams/{json.loads(result[2])['id']}")
        slow.close()
        fuzz.alive("50 idle connections")
        for s in idle:
            s.close()
        stream_id = json.loads(fuzz.send("POST", "/api/streams", json.dumps(valid_stream).encode())[2])["id"]
        unread = socket.create_connection(("127.0.0.1", port), timeout=30)
        unread.sendall(f"POST /api/streams/{stream_id}/audio HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n".encode())
        time.sleep(3)  # the server fills the socket's buffers and must wait, not buffer without end
        fuzz.alive("a WAV stream nobody reads")
        unread.close()

        # After all that: a valid clip still renders.
        status, headers, body = fuzz.send("POST", "/api/generate", json.dumps(valid_clip).encode())
        if status != 200 or not body.startswith(b"RIFF"):
            fuzz.failures.append(f"a valid clip after the run: {status} {body[:200]!r}")
        alive = server.poll() is None
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{fuzz.cases} bad-input cases in {time.monotonic() - began:.0f} s; answers: "
          + ", ".join(f"{k}: {v}" for k, v in sorted(fuzz.statuses.items(), key=lambda kv: str(kv[0]))))
    print(f"server alive at the end: {alive}; a valid clip renders after the run: {not any('valid clip' in f for f in fuzz.failures)}")
    for failure in fuzz.failures[:40]:
        print("FAIL", failure)
    print(f"{len(fuzz.failures)} failures")
    sys.exit(1 if fuzz.failures or not alive else 0)


if __name__ == "__main__":
    main()
