"""Load client for scripts/chaos: N workers send draftDocument mutations, each with its own
commandId, and retry an unanswered one with the same id until it is acknowledged. Writes one
line per acknowledged command (command id, document id) and exits non-zero on any answer that
is neither a success nor a retryable failure."""

import json
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid

URL, TOKEN, SECONDS, WORKERS, OUT = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
QUERY = """mutation($cid: ID, $title: String!) { draftDocument(commandId: $cid,
  input: {bodyCode: "NCX-GOV", title: $title, class: GOVERNMENT, isMajorDecision: false}) { document { id } } }"""
RETRYABLE = {"UNAVAILABLE", "CONFLICT", "TIMEOUT"}

acked, unexpected, attempts, stale = [], [], [0], [0]
lock = threading.Lock()


def send(cid):
    body = json.dumps({"query": QUERY, "variables": {"cid": cid, "title": f"chaos {cid}"}}).encode()
    req = urllib.request.Request(URL, data=body, headers={
        "content-type": "application/json", "authorization": f"Bearer {TOKEN}"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except Exception:
            return None
    except Exception:
        return None  # connection refused or reset: the server is down


def worker(deadline):
    while time.time() < deadline:
        cid = str(uuid.uuid4())
        give_up = time.time() + 60
        while True:
            with lock:
                attempts[0] += 1
            answer = send(cid)
            data = (answer or {}).get("data") or {}
            if data.get("draftDocument"):
                writes = ((answer.get("extensions") or {}).get("writes") or [{}])
                with lock:
                    acked.append((cid, data["draftDocument"]["document"]["id"]))
                    # Read-your-writes: the answer came from a read model holding the write.
                    if not all(w.get("projected") for w in writes):
                        stale[0] += 1
                break
            code = (((answer or {}).get("errors") or [{}])[0].get("extensions") or {}).get("code")
            if answer is not None and code not in RETRYABLE:
                with lock:
                    unexpected.append(answer)
                return
            if time.time() > give_up:
                with lock:
                    unexpected.append({"gave up": cid})
                return
            time.sleep(0.05)


deadline = time.time() + SECONDS
threads = [threading.Thread(target=worker, args=(deadline,)) for _ in range(WORKERS)]
for t in threads:
    t.start()
for t in threads:
    t.join()
with open(OUT, "w") as f:
    for cid, doc in acked:
        f.write(f"{cid}\t{doc}\n")
print(f"load: {len(acked)} acknowledged, {attempts[0]} attempts, {len(unexpected)} unexpected, "
      f"{stale[0]} answered before the read model had them")
for u in unexpected[:5]:
    print("unexpected:", json.dumps(u, ensure_ascii=False)[:300])
sys.exit(1 if unexpected else 0)
