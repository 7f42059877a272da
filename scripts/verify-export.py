#!/usr/bin/env python3
"""Re-verify a `normledger export --format jsonl` file without normledger.

Checks every stream's hash chain and prints the digest of the whole log, exactly as
docs/auditing.md defines them. Exit status 1 on the first broken link.
Usage: scripts/verify-export.py EXPORT.jsonl
"""
import hashlib
import json
import sys

GENESIS = bytes(32)


def canonical(e):
    fields = [e["aggregate_type"], e["aggregate_id"], str(e["sequence"]), e["event_type"],
              e["event_version"], e["payload"], e["metadata"], e["recorded_at"]]
    out = b""
    for f in fields:
        b = f.encode("utf-8")
        out += str(len(b)).encode() + b":" + b + b"\n"
    return out


def main(path):
    events = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    streams = {}
    for e in sorted(events, key=lambda e: (e["aggregate_type"], e["aggregate_id"], e["sequence"])):
        streams.setdefault((e["aggregate_type"], e["aggregate_id"]), []).append(e)
    for (kind, ident), stream in streams.items():
        previous = GENESIS
        for expected, e in enumerate(stream, start=1):
            if e["sequence"] != expected:
                print(f"BROKEN {kind} {ident} sequence {e['sequence']}: event {expected} is missing")
                return 1
            computed = hashlib.sha256(previous + canonical(e)).digest()
            if computed.hex() != e["hash"]:
                print(f"BROKEN {kind} {ident} sequence {e['sequence']} position {e['position']}: altered")
                return 1
            previous = computed
    # The export is in (transaction_id, position) order: the digest's order.
    root = GENESIS
    for e in events:
        root = hashlib.sha256(root + bytes.fromhex(e["hash"])).digest()
    print(f"intact: {len(events)} events in {len(streams)} streams; root {root.hex()}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
