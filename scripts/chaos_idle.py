"""Scenario 5 of scripts/chaos: 500 idle websocket subscriptions plus slow-header HTTP
clients (loopback only, bounded), while normal requests are timed. Prints the latency of
normal requests before and during, and exits non-zero if they slowed more than allowed or
failed."""

import base64
import json
import os
import socket
import statistics
import sys
import threading
import time
import urllib.request

HOST, PORT, TOKEN = sys.argv[1], int(sys.argv[2]), sys.argv[3]
IDLE_SOCKETS, SLOW_CLIENTS, PROBES = 500, 50, 100


def probe_latencies():
    body = json.dumps({"query": "{ documents(first: 5) { edges { cursor } } }"}).encode()
    out = []
    for _ in range(PROBES):
        req = urllib.request.Request(f"http://{HOST}:{PORT}/graphql", data=body, headers={
            "content-type": "application/json", "authorization": f"Bearer {TOKEN}"})
        t0 = time.perf_counter()
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.load(r)
        out.append(time.perf_counter() - t0)
        if "errors" in answer:
            raise SystemExit(f"a normal request failed: {answer}")
    return out


def websocket():
    s = socket.create_connection((HOST, PORT), timeout=10)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET /graphql HTTP/1.1\r\nHost: {HOST}\r\nUpgrade: websocket\r\n"
               f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n").encode())
    head = s.recv(4096)
    if b" 101 " not in head.split(b"\r\n")[0]:
        raise SystemExit(f"a websocket was refused: {head[:80]!r}")
    return s


stop = threading.Event()


def slow_client():
    """Sends a request's headers one byte every 0.5 s, never finishing."""
    try:
        s = socket.create_connection((HOST, PORT), timeout=10)
        for b in b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Slow: ":
            if stop.is_set():
                break
            s.send(bytes([b]))
            time.sleep(0.5)
        s.close()
    except OSError:
        pass  # the server may close a slow client: that is allowed


def p(values, q):
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


before = probe_latencies()
sockets = [websocket() for _ in range(IDLE_SOCKETS)]
slow = [threading.Thread(target=slow_client, daemon=True) for _ in range(SLOW_CLIENTS)]
for t in slow:
    t.start()
time.sleep(1)
during = probe_latencies()
stop.set()
for s in sockets:
    s.close()
b50, b99 = statistics.median(before), p(before, 0.99)
d50, d99 = statistics.median(during), p(during, 0.99)
ok = d99 <= max(5 * b99, 0.25)
print(f"scenario 5 (500 idle websockets, 50 slow clients): normal requests p50 {b50*1000:.1f} ms -> "
      f"{d50*1000:.1f} ms, p99 {b99*1000:.1f} ms -> {d99*1000:.1f} ms; ok={'yes' if ok else 'NO'}")
sys.exit(0 if ok else 1)
