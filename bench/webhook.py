"""Data coming in: voice-agent webhook deliveries under load, and `import_calls` over 100k calls.

Deliveries: wrk at 8 connections posts pre-signed deliveries (a fresh webhook-id and conversation_id
each, signed just before the run so every timestamp is within the 5-minute tolerance), read from a
file by a Lua script that hands each wrk thread its own share; each run alternates with the Data
Share API's first page on the same server. Every delivery names a recording on 127.0.0.1 (nothing
listens there and no worker runs, so nothing is fetched; the queued task is measured all the same).
The import: `manage.py import_calls` on 100k calls of franchise A, timed as a whole process.
Everything both add is deleted afterwards, so the loaded data is reused by the next run.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from standardwebhooks.webhooks import Webhook

from bench import load

WEBHOOK_PREFIX = "bench-wh-"
IMPORT_PREFIX = "bench-imp-"
IMPORT_CALLS = 100_000
CONNECTIONS = 8

# Each wrk thread reads the deliveries file and takes every n-th line, so no two threads send one.
LUA = r"""
local deliveries, n = {}, 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  local i = 0
  for line in io.lines("__DATA__") do
    if i % __THREADS__ == tid then
      local id, ts, sig, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      deliveries[#deliveries + 1] = {id = id, ts = ts, sig = sig, body = body}
    end
    i = i + 1
  end
end
function request()
  n = n + 1
  local d = deliveries[(n - 1) % #deliveries + 1]
  return wrk.format("POST", "__PATH__", {
    ["Content-Type"] = "application/json", ["Connection"] = "close",
    ["webhook-id"] = d.id, ["webhook-timestamp"] = d.ts, ["webhook-signature"] = d.sig,
  }, d.body)
end
"""


def _delivery(rng: random.Random, now: datetime) -> dict:
    words = ["water", "basement", "pipe", "burst", "ceiling", "leak", "mold", "insurance", "tomorrow", "crew"]
    turns = [
        {"speaker": "agent" if i % 2 == 0 else "caller", "text": " ".join(rng.choices(words, k=12)), "start": i * 7}
        for i in range(8)
    ]
    return {
        "conversation_id": f"{WEBHOOK_PREFIX}{uuid.uuid4().hex}",
        "caller_id": f"+1555{rng.randrange(10**7):07d}",
        "timestamp": (now - timedelta(minutes=rng.randrange(600))).isoformat(),
        "duration": str(rng.randrange(30, 600)),
        "agent_type": "afterhours",
        "call_category": "new_urgent_service_request",
        "customer_name": "Dana Whitfield",
        "call_summary": " ".join(rng.choices(words, k=30)),
        "transcript_turns": turns,
        "recording_source_url": f"http://127.0.0.1:9/recordings/{uuid.uuid4().hex}.mp3",
    }


def write_deliveries(path: Path, secret: str, count: int) -> Path:
    """`count` signed deliveries, one per line: id, timestamp, signature, body (tab-separated)."""
    rng, signer, now = random.Random(), Webhook(secret), datetime.now(UTC)
    lines = []
    for _ in range(count):
        body = json.dumps(_delivery(rng, now), separators=(",", ":"))
        webhook_id = f"msg_{uuid.uuid4().hex}"
        lines.append(f"{webhook_id}\t{int(now.timestamp())}\t{signer.sign(webhook_id, now, body)}\t{body}")
    path.write_text("\n".join(lines) + "\n")
    return path


def write_script(path: Path, data: Path, franchise_id: str, threads: int) -> Path:
    body = LUA.replace("__DATA__", str(data)).replace("__THREADS__", str(threads))
    path.write_text(body.replace("__PATH__", f"/hooks/calls/{franchise_id}") + load.REPORT_LUA)
    return path


def prepare(franchise_id: str) -> str:
    """A webhook secret for the franchise (run `cleanup` first: an earlier run's key is gone)."""
    from calls.webhooks import webhook_secret_create
    from franchises.models import Franchise

    return webhook_secret_create(franchise=Franchise.objects.get(pk=franchise_id))[1]


def cleanup(url: str) -> None:
    """Remove every call, delivery, fetch and queued task the bench added."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for prefix in (WEBHOOK_PREFIX, IMPORT_PREFIX):
            ids = "SELECT id FROM calls_call WHERE conversation_id LIKE %s"
            like = [f"{prefix}%"]
            conn.execute(f"DELETE FROM calls_recordingfetch WHERE call_id IN ({ids})", like)
            conn.execute(f"UPDATE calls_webhookdelivery SET call_id = NULL WHERE call_id IN ({ids})", like)
            conn.execute(f"DELETE FROM calls_recording WHERE call_id IN ({ids})", like)
            conn.execute("DELETE FROM calls_call WHERE conversation_id LIKE %s", like)
        conn.execute("DELETE FROM calls_webhookdelivery")
        conn.execute("DELETE FROM calls_webhooksecret")
        conn.execute("DELETE FROM django_q_ormq")


def measure_deliveries(base: str, first_page_url: str, auth: dict, franchise_id: str, secret: str, mode, out: Path):
    """Webhook deliveries and the first page, alternating, at 8 connections; medians of the repeats."""
    out.mkdir(parents=True, exist_ok=True)
    report = load.write_script(out / "report.lua")
    seconds = mode.seconds[CONNECTIONS]
    threads = min(CONNECTIONS, 2)  # as load.wrk runs it
    runs: dict[str, list] = {"webhook": [], "first_page": []}
    for rep in range(mode.repeats + 1):  # the first round warms both up and is not kept
        data = write_deliveries(out / "deliveries.tsv", secret, count=2500 * seconds + 2000)
        script = write_script(out / "webhook.lua", data, franchise_id, threads)
        webhook = load.wrk(f"{base}/hooks/calls/{franchise_id}", CONNECTIONS, seconds, {}, script)
        page = load.wrk(first_page_url, CONNECTIONS, seconds, auth, report)
        if rep:
            runs["webhook"].append(webhook)
            runs["first_page"].append(page)
    return {name: load.summarise(values) for name, values in runs.items()}


def write_import_file(path: Path, count: int = IMPORT_CALLS) -> Path:
    rng, now = random.Random(7), datetime.now(UTC)
    with path.open("w") as fh:
        for n in range(count):
            call = _delivery(rng, now)
            call["conversation_id"] = f"{IMPORT_PREFIX}{n:08d}"
            del call["recording_source_url"]
            fh.write(json.dumps(call, separators=(",", ":")) + "\n")
    return path


def measure_import(env: dict[str, str], franchise_id: str, out: Path) -> dict:
    """`manage.py import_calls` over 100k calls, as an operator runs it (process start included)."""
    data = write_import_file(out / "import.jsonl")
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", "import_calls", "--franchise", franchise_id, str(data)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise RuntimeError(f"import_calls failed: {done.stderr.strip()[-500:]}")
    data.unlink()
    return {
        "calls": IMPORT_CALLS,
        "seconds": round(elapsed, 2),
        "calls_per_s": round(IMPORT_CALLS / elapsed),
        "output": done.stdout.strip().splitlines()[-1],
    }
