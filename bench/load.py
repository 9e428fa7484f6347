"""Drive a server with wrk and read its figures (requests/s, latency percentiles, errors, bytes/s)."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.data import BenchError

# wrk's own summary is rounded for humans; this prints the raw numbers as one JSON line.
REPORT_LUA = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass
class Run:
    """One wrk run: throughput and latency (ms) of one URL at one concurrency."""

    rps: float
    p50: float
    p90: float
    p99: float
    max: float
    mb_per_s: float
    errors: int  # non-2xx/3xx answers, socket errors and timeouts
    requests: int


MAX_SETTLE_SECONDS = 1.0


def wrk(url: str, connections: int, seconds: int, headers: dict[str, str], script: Path) -> Run:
    """One run. Every request asks for `Connection: close`: with kept-alive connections gunicorn's
    workers keep whichever connections they first accepted, and 8 connections split 6/2 between
    two workers halve the throughput of one run but not the next (measured: 205–474 req/s with
    keep-alive against 354–404 without, same server). New connections go to a free worker."""
    headers = {**headers, "Connection": "close"}
    if not shutil.which("wrk"):
        raise BenchError("wrk is missing: apt-get install -y wrk")
    argv = ["wrk", "-t", str(min(connections, 2)), "-c", str(connections), "-d", f"{seconds}s",
            "--timeout", "10s", "-s", str(script)]  # fmt: skip
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    out = subprocess.run([*argv, url], capture_output=True, text=True, timeout=seconds + 30)
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if out.returncode or not line:
        raise BenchError(f"wrk failed on {url}: {out.stderr.strip() or out.stdout.strip()}")
    r = json.loads(line[6:])
    # When wrk stops, the server still has up to `connections` requests in hand, which would take CPU
    # from whichever server is measured next (a DRF peer at 32 connections: up to a second). Wait as
    # long as the slowest request of the run took.
    time.sleep(min(r["max"] / 1e6, MAX_SETTLE_SECONDS))
    secs = r["duration_us"] / 1e6
    return Run(
        rps=r["requests"] / secs,
        p50=r["p50"] / 1000,
        p90=r["p90"] / 1000,
        p99=r["p99"] / 1000,
        max=r["max"] / 1000,
        mb_per_s=r["bytes"] / secs / 1e6,
        errors=r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"],
        requests=r["requests"],
    )


def write_script(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(REPORT_LUA)
    return path


def summarise(runs: list[Run]) -> dict:
    """Median and range of each figure over the repeats."""
    out: dict = {"repeats": len(runs), "errors": sum(r.errors for r in runs)}
    for key in ("rps", "p50", "p90", "p99", "mb_per_s"):
        values = [getattr(r, key) for r in runs]
        out[key] = round(statistics.median(values), 3)
        out[f"{key}_range"] = [round(min(values), 3), round(max(values), 3)]
    return out
