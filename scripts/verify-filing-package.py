#!/usr/bin/env python3
"""Checks a normledger filing package (备案材料) with nothing but Python 3's standard library.

    scripts/verify-filing-package.py PACKAGE.json [--public-key HEX]

It checks that every item hashes to its SHA-256 and is what the document's events recorded,
that each event hashes (chained) to its recorded hash, that the proof folds those events into
the root of the signed checkpoint, and that the checkpoint's Ed25519 signature is valid (by the
given key, when one is given: the sending ledger's, from `normledger key`). Exit status 0 when
everything holds; otherwise it names the first thing that does not.
"""
import base64
import hashlib
import json
import sys

# Ed25519 verification, from RFC 8032 section 6.
P = 2**255 - 19
Q = 2**252 + 27742317777372353535851937790883648493
D = -121665 * pow(121666, P - 2, P) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)


def recover_x(y, sign):
    if y >= P:
        return None
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P)
    if x2 == 0:
        return None if sign else 0
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return None
    if (x & 1) != sign:
        x = P - x
    return x


def add(a, b):
    A, B = (a[1] - a[0]) * (b[1] - b[0]) % P, (a[1] + a[0]) * (b[1] + b[0]) % P
    C, E = 2 * a[3] * b[3] * D % P, 2 * a[2] * b[2] % P
    e, f, g, h = B - A, E - C, E + C, B + A
    return (e * f, g * h, f * g, e * h)


def mul(s, point):
    result = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            result = add(result, point)
        point, s = add(point, point), s >> 1
    return result


def equal(a, b):
    return (a[0] * b[2] - b[0] * a[2]) % P == 0 and (a[1] * b[2] - b[1] * a[2]) % P == 0


def decompress(s):
    y = int.from_bytes(s, "little")
    sign, y = y >> 255, y & ((1 << 255) - 1)
    x = recover_x(y, sign)
    return None if x is None else (x, y, 1, x * y % P)


GY = 4 * pow(5, P - 2, P) % P
G = (recover_x(GY, 0), GY, 1, recover_x(GY, 0) * GY % P)


def ed25519_verify(public, message, signature):
    a, r = decompress(public), decompress(signature[:32])
    s = int.from_bytes(signature[32:], "little")
    if a is None or r is None or s >= Q:
        return False
    h = int.from_bytes(hashlib.sha512(signature[:32] + public + message).digest(), "little") % Q
    return equal(mul(s, G), add(r, mul(h, a)))


def fail(message):
    print(f"NOT VERIFIED: {message}")
    sys.exit(1)


def canonical(e):
    out = b""
    for field in ("aggregate_type", "aggregate_id", "sequence", "event_type", "event_version",
                  "payload", "metadata", "recorded_at"):
        value = str(e[field]).encode("utf-8")
        out += str(len(value)).encode() + b":" + value + b"\n"
    return out


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__)
        sys.exit(2)
    trusted = args[args.index("--public-key") + 1] if "--public-key" in args else None
    with open(args[0], encoding="utf-8") as f:
        package = json.load(f)
    if package.get("format") != "normledger-filing-package/1":
        fail(f"unknown format {package.get('format')!r}")
    history = {e["position"]: e for e in package["history"]}

    for item in package["items"]:
        if item.get("text") is not None:
            data = item["text"].encode("utf-8")
        else:
            data = base64.b64decode(item["content_base64"])
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            fail(f"{item['name']} does not hash to its SHA-256")
        expected = {"ISSUED_TEXT": ("TextRecorded", "hash", item["sha256"]),
                    "DRAFTING_EXPLANATION": ("AttachmentAdded", "sha256", item["sha256"]),
                    "REVIEW_OPINION": ("ReviewConcluded", "opinion", item.get("text"))}
        if item["kind"] in expected:
            event_type, field, value = expected[item["kind"]]
            event = history.get(item.get("source_position"))
            if not event or event["event_type"] != event_type:
                fail(f"{item['name']} names no {event_type} event of the history")
            if json.loads(event["payload"])[event_type][field] != value:
                fail(f"{item['name']} is not what its event recorded")
        elif item["kind"] != "FILING_REPORT":
            fail(f"unknown item kind {item['kind']}")

    previous = bytes(32)
    for i, e in enumerate(package["history"]):
        if e["sequence"] != i + 1 or e["aggregate_id"] != package["document_id"]:
            fail(f"event at position {e['position']} is out of the document's stream")
        previous = hashlib.sha256(previous + canonical(e)).digest()
        if previous.hex() != e["hash"]:
            fail(f"event at position {e['position']} does not hash to its recorded hash")

    proof = package["proof"]
    checkpoint = proof["checkpoint"]
    _, _, events, root = checkpoint["digest"].split(":")
    folded = bytes.fromhex(proof["prefix_root"])
    for _, h in proof["suffix"]:
        folded = hashlib.sha256(folded + bytes.fromhex(h)).digest()
    if folded.hex() != root or proof["prefix_events"] + len(proof["suffix"]) != int(events):
        fail("the proof does not fold to the checkpoint's root")
    in_proof = {(position, h) for position, h in proof["suffix"]}
    for e in package["history"]:
        if (e["position"], e["hash"]) not in in_proof:
            fail(f"event at position {e['position']} is not among the checkpoint's events")

    message = (f"normledger checkpoint v1\ndigest {checkpoint['digest']}\n"
               f"last_position {checkpoint['last_position']}\ntaken_at {checkpoint['taken_at']}\n")
    if message != checkpoint["message"]:
        fail("the signed message is not the checkpoint's")
    if trusted and trusted.lower() != checkpoint["public_key"]:
        fail("the checkpoint is signed by another key than the one given")
    if not ed25519_verify(bytes.fromhex(checkpoint["public_key"]), message.encode(),
                          bytes.fromhex(checkpoint["signature"])):
        fail("the checkpoint's signature does not verify")
    print(f"VERIFIED: {package['number']} 《{package['title']}》 for {package['authority']}: "
          f"{len(package['items'])} items, {len(package['history'])} events, in the log signed "
          f"by {checkpoint['public_key']} at {checkpoint['taken_at']}")


main()
