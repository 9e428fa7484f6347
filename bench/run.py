"""`python -m bench.run --quick|--full`: load data, start every server, measure, write the results.

Servers are measured alternately within one run (for each repeat, each concurrency, each server in
turn), so a slow moment of the shared machine hits them all alike. Outputs: `var/bench/results.json`,
the results section of `BENCHMARKS.md`, and a summary table on stdout.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import json
import os
import platform
import secrets
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import data, load, tools
from bench.data import BenchError

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "var" / "bench"
MEDIA = OUT / "media"
BENCHMARKS = ROOT / "BENCHMARKS.md"
HUGE = str(10**9)  # rate limits high enough never to trigger, while the limiter still runs


@dataclass(frozen=True)
class Mode:
    name: str
    scale: data.Scale
    seconds: dict[int, int]  # one wrk run, by connections (wrk takes whole seconds)
    case_seconds: int
    repeats: int
    ttfb_samples: int


# Quick mode spends its time where the headline ratios are read: the first page at 8 connections.
QUICK = Mode("quick", data.QUICK, seconds={1: 1, 8: 2, 32: 1}, case_seconds=1, repeats=3, ttfb_samples=200)
FULL = Mode("full", data.FULL, seconds={1: 5, 8: 8, 32: 5}, case_seconds=5, repeats=3, ttfb_samples=1000)
CONNECTIONS = (1, 8, 32)

TARGETS = {  # key: (target, "ge" | "le", what it is)
    "api_vs_limit_rps": (0.6, "ge", "subject / limit, req/s, first page, 8 conns"),
    "api_vs_drf_offset_rps": (30, "ge", "subject / DRF LimitOffset, req/s, 8 conns"),
    "api_vs_drf_cursor_rps": (3, "ge", "subject / DRF Cursor, req/s, 8 conns"),
    "depth_500k_vs_first_page_latency": (1.2, "le", "subject p50, deep page / first page"),
    "big_vs_small_franchise_latency": (1.2, "le", "subject p50, B first page / A first page"),
    "queries_per_request": (3, "le", "SQL queries per request, /data/calls and /data/contacts, max over page sizes"),
    "ratelimit_overhead_ms_p50": (0.3, "le", "rate limiter cost per request (counting inside authentication), ms"),
    "api_p99_ms_8conn": (25, "le", "subject p99 latency at 8 conns, ms"),
    "recording_seek_ttfb_ms": (5, "le", "mid-file Range request, time to first byte p50, ms"),
    "recording_vs_nginx_throughput": (0.5, "ge", "subject / nginx, 5 MB file, MB/s"),
    "webhook_rps": (200, "ge", "signed webhook deliveries accepted per second, 8 senders"),
    "webhook_p99_ms": (100, "le", "webhook delivery p99 latency at 8 senders, ms"),
    "import_calls_per_s": (3000, "ge", "manage.py import_calls, 100k calls, calls/s (process start included)"),
    "recording_s3_seek_ttfb_ms": (25, "le", "mid-file Range request, recording in the S3 store, TTFB p50, ms"),
    "recording_s3_vs_disk_throughput": (0.1, "ge", "subject on the S3 store / subject on local disk, 5 MB, MB/s"),
    "crm_sync_contacts_per_s": (200, "ge", "manage.py crm_sync --full against the fake CRM, 10k contacts, contacts/s"),
    "callback_p99_ms": (250, "le", "PhoneBurner api_calldone p99 latency at 32 senders, ms"),
    "callback_rps": (100, "ge", "PhoneBurner api_calldone callbacks recorded per second, 32 senders"),
    "queue_page_ms_1m": (300, "le", "/dialer/queue/ p50, franchise B (1M calls; quick: 200k), ms"),
}

# The bucket the S3 subject reads; moto keeps it in memory, so it is made anew each run.
S3_BUCKET = "breesy-bench"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench-secret",
    "AWS_S3_REGION_NAME": "us-east-1",
}


_T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[{time.monotonic() - _T0:5.0f}s] {msg}", flush=True)


def setup_django(url: str, secret: str) -> dict[str, str]:
    """The environment every product process gets: production settings, limits raised, bench media."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest()).decode(),
        "MEDIA_ROOT": str(MEDIA),
        "API_RATE_LIMIT_PER_MINUTE": HUGE,
        "API_RATE_LIMIT_PER_DAY": HUGE,
        "LOG_LEVEL": "WARNING",
        # Plain HTTP on loopback: production's HTTPS redirect would answer every request with a 301.
        "SECURE_SSL_REDIRECT": "false",
        # A line per request would write hundreds of MB over a full run's millions of requests.
        "REQUEST_LOG": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("REDIS_URL", None)  # the default deployment: counters in the database
    (ROOT / "var" / "static").mkdir(parents=True, exist_ok=True)  # whitenoise warns when it is missing
    os.environ.update(env)
    import django

    django.setup()
    return env


def issue_tokens(ds: data.Dataset) -> dict[str, str]:
    from franchises.models import ApiToken, Franchise

    ApiToken.objects.filter(label="bench").delete()
    return {
        key: ApiToken.issue(franchise=Franchise.objects.get(pk=fid), label="bench")[1]
        for key, fid in (("a", ds.franchise_a), ("b", ds.franchise_b))
    }


def keyset_row(url: str, franchise: str, offset: int):
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            """SELECT timestamp, id FROM calls_call WHERE franchise_id = %s
               ORDER BY timestamp DESC, id DESC OFFSET %s LIMIT 1""",
            [franchise, offset],
        ).fetchone()


def build_cases(url: str, ds: data.Dataset, mode: Mode) -> dict[str, dict[str, str]]:
    """Each case as a query string per server: subject (signed cursors) and limit (its own cursors)."""
    from bench.limit_app import _cursor_out
    from calls.queries import next_cursor

    deep = 500_000 if ds.calls_b > 500_000 else ds.calls_b - 100  # quick mode: B's last page
    # B's first page again, right before the cases compared with it: the machine is shared, so a
    # ratio is only fair between runs close in time.
    cases: dict[str, dict[str, str]] = {"first_page": {"subject": "", "limit": ""}}
    cases["small_franchise"] = {"subject": "", "limit": ""}
    for name, offset in (("depth_10k", 10_000), ("depth_500k", deep)):
        ts, pk = keyset_row(url, ds.franchise_b, offset - 1)
        cases[name] = {"subject": f"cursor={next_cursor(ts, pk)}", "limit": f"cursor={_cursor_out(ts, pk)}"}
    loc = ds.locations_b[0]
    cases["location"] = {"subject": f"location_id={loc}", "limit": f"location_id={loc}"}
    cases["date_range"] = {
        "subject": "start_date=2025-06-01&end_date=2025-06-07",
        "limit": "start_date=2025-06-01T00:00:00-05:00&end_date=2025-06-08T00:00:00-05:00",
    }
    p = ds.phone_b
    raw = f"({p[2:5]}) {p[5:8]}-{p[8:]}".replace(" ", "%20")
    cases["phone"] = {"subject": f"phone={raw}", "limit": f"phone={raw}"}
    cases["contacts_search"] = {"subject": f"search={ds.contact_search_b}"}
    return cases


def url_for(servers: dict, name: str, ds: data.Dataset, query: str, case: str = "") -> str:
    small = case == "small_franchise"
    if name == "limit":
        fid = ds.franchise_a if small else ds.franchise_b
        return f"{servers['limit'].base}/data/calls?franchise_id={fid}&{query}"
    if name == "subject":
        path = "/data/contacts" if case == "contacts_search" else "/data/calls"
        return f"{servers['subject'].base}{path}?{query}"
    kind = name.removeprefix("drf_")
    return f"{servers['drf'].base}/drf/{kind}/calls?{query}"


def measure_load(servers, ds, tokens, cases, mode: Mode, script: Path) -> tuple[dict, dict]:
    """First page on all four servers at 1/8/32 connections, then the cases at 8, alternating."""
    auth = {n: {"Authorization": f"Bearer {tokens['b']}"} for n in ("subject", "drf_offset", "drf_cursor")}
    auth["limit"] = {}
    small_auth = {"Authorization": f"Bearer {tokens['a']}"}
    first: dict = {}
    per_case: dict = {}
    peers = ("subject", "limit", "drf_offset", "drf_cursor")
    for name in peers:  # warm every process (imports, connections, plans) before measuring
        load.wrk(url_for(servers, name, ds, ""), 8, 1, auth[name], script)
    for rep in range(mode.repeats):
        log(f"  repeat {rep + 1}/{mode.repeats}")
        for conns in CONNECTIONS:
            for name in peers:
                run = load.wrk(url_for(servers, name, ds, ""), conns, mode.seconds[conns], auth[name], script)
                first.setdefault(f"{name}@{conns}", []).append(run)
        for case, queries in cases.items():
            for name, query in queries.items():
                headers = small_auth if (case == "small_franchise" and name == "subject") else auth[name]
                url = url_for(servers, name, ds, query, case)
                run = load.wrk(url, 8, mode.case_seconds, headers, script)
                per_case.setdefault(f"{case}:{name}", []).append(run)
    return (
        {k: load.summarise(v) for k, v in first.items()},
        {k: load.summarise(v) for k, v in per_case.items()},
    )


def ttfb_ms(base: str, path: str, headers: dict[str, str], size: int, samples: int) -> list[float]:
    """Time from sending a mid-file Range request to its first body byte, on a kept-alive connection."""
    import http.client

    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    mid = size // 2
    out = []
    for _ in range(samples + 5):
        started = time.perf_counter()
        conn.request("GET", path, headers={**headers, "Range": f"bytes={mid}-{mid + 65535}"})
        resp = conn.getresponse()
        resp.read(1)
        elapsed = (time.perf_counter() - started) * 1000
        resp.read()
        if resp.status != 206:
            raise BenchError(f"{base}{path} answered {resp.status} to a Range request, not 206")
        out.append(elapsed)
    conn.close()
    return sorted(out[5:])  # the first few warm the connection


def s3_environment(store_base: str) -> dict[str, str]:
    return {**S3_CREDENTIALS, "AWS_STORAGE_BUCKET_NAME": S3_BUCKET, "AWS_S3_ENDPOINT_URL": store_base}


def fill_s3_store(store_base: str) -> str:
    """The bench recording, at the key the app's Recording row names, in a fresh (private) bucket; gives
    a presigned path to read it from the store directly."""
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=store_base,
        region_name=S3_CREDENTIALS["AWS_S3_REGION_NAME"],
        aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(signature_version="s3v4"),
    )
    client.create_bucket(Bucket=S3_BUCKET)
    client.upload_file(str(MEDIA / data.RECORDING_NAME), S3_BUCKET, data.RECORDING_NAME)
    url = client.generate_presigned_url("get_object", {"Bucket": S3_BUCKET, "Key": data.RECORDING_NAME}, ExpiresIn=7200)
    return url.removeprefix(store_base)


def measure_recordings(servers, ds, tokens, mode: Mode, script: Path, store_path: str) -> dict:
    """Seek latency first, on an idle machine (after a load run, threads may still be sending), then
    throughput of the whole file, each server in turn: the subject on local disk, nginx, the subject
    with the recording in the S3 store, and the store itself (a presigned read)."""
    path = f"/data/recordings/{ds.recording_conversation_id}"
    auth = {"Authorization": f"Bearer {tokens['b']}"}
    targets = (
        ("subject", servers["subject"].base, path, auth),
        ("nginx", servers["nginx"].base, "/media/" + data.RECORDING_NAME, {}),
        ("subject_s3", servers["subject_s3"].base, path, auth),
        ("s3_store", servers["s3_store"].base, store_path, {}),
    )  # fmt: skip
    out: dict = {}
    time.sleep(1)
    for name, base, path, headers in targets:
        samples = ttfb_ms(base, path, headers, ds.recording_size, mode.ttfb_samples)
        out[f"ttfb:{name}"] = {
            "samples": len(samples),
            "p50_ms": round(samples[len(samples) // 2], 3),
            "p90_ms": round(samples[int(len(samples) * 0.9)], 3),
        }
    runs: dict[str, list] = {}
    for _ in range(mode.repeats):
        for name, base, path, headers in targets:
            runs.setdefault(f"throughput:{name}", []).append(load.wrk(base + path, 4, mode.seconds[8], headers, script))
    return {**out, **{k: load.summarise(v) for k, v in runs.items()}}


def machine() -> dict:
    cpu = ""
    with contextlib.suppress(OSError, StopIteration):
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        )
    pg = subprocess.run(["psql", "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "postgres_client": pg,
        "kernel": platform.release(),
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def verdict(key: str, value) -> str:
    target, how, _ = TARGETS[key]
    if value is None:
        return "n/a"
    ok = value >= target if how == "ge" else value <= target
    return "ok" if ok else "SHORT"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--quick", action="store_true", help="200k calls in B, short runs (< 5 minutes)")
    group.add_argument("--full", action="store_true", help="1M calls in B, longer runs")
    args = parser.parse_args(argv)
    mode = FULL if args.full else QUICK
    started = time.monotonic()

    url = data.check_database_url(os.environ.get("DATABASE_URL", ""))
    data.ensure_database(url)
    tools.ensure_tools(log)
    env = setup_django(url, secret=secrets.token_urlsafe(48))
    from bench import crm, dialing

    crm.cleanup()  # a crashed run's CRM franchise would make the loader refuse the database
    dialing.cleanup()
    log(f"bench ({mode.name}): data")
    ds = data.load(url, mode.scale, MEDIA, log=log)
    tokens = issue_tokens(ds)
    cases = build_cases(url, ds, mode)

    from bench import inprocess
    from bench import servers as srv

    workers = max(2, os.cpu_count() or 2)
    logs = OUT / "logs"
    script = load.write_script(OUT / "report.lua")
    servers = {
        "subject": srv.gunicorn("subject", "config.wsgi:application", env, logs, workers, 4),
        "limit": srv.gunicorn("limit", "bench.limit_app:application", env, logs, workers, 4),
        "drf": srv.gunicorn(
            "drf",
            "config.wsgi:application",
            {**env, "DJANGO_SETTINGS_MODULE": "bench.drf_settings"},
            logs,
            workers,
            4,
        ),  # fmt: skip
        "nginx": srv.nginx(MEDIA, OUT / "nginx", workers),
        "s3_store": srv.s3_store(OUT / "s3"),
    }
    servers["subject_s3"] = srv.gunicorn(
        "subject_s3", "config.wsgi:application", {**env, **s3_environment(servers["s3_store"].base)}, logs, workers, 4
    )
    # Probed until they answer: paths that need no static files (none are collected for the bench).
    servers["subject"].ready_path = servers["subject_s3"].ready_path = "/data/openapi.json"
    servers["drf"].ready_path = "/drf/offset/calls"
    results: dict = {}
    from bench import webhook

    webhook.cleanup(url)
    hook_secret = webhook.prepare(ds.franchise_b)
    try:
        log("bench: in-process (queries per request, rate limiter)")
        inproc = inprocess.measure(tokens, ds)
        log("bench: the call-back queue page (in-process)")
        queue = dialing.measure_queue(url, ds.franchise_b, data.END, mode.name)
        callback_sessions = dialing.prepare_callbacks(ds.franchise_b)
        log("bench: starting servers")
        for s in servers.values():
            s.start()
        store_path = fill_s3_store(servers["s3_store"].base)
        log("bench: load (wrk), servers alternating")
        first, per_case = measure_load(servers, ds, tokens, cases, mode, script)
        log("bench: recordings")
        rec = measure_recordings(servers, ds, tokens, mode, script, store_path)
        log("bench: webhook deliveries beside the first page, 8 connections")
        hooks = webhook.measure_deliveries(
            servers["subject"].base,
            url_for(servers, "subject", ds, ""),
            {"Authorization": f"Bearer {tokens['b']}", "Connection": "close"},
            ds.franchise_b,
            hook_secret,
            mode,
            OUT / "webhook",
        )
        log("bench: PhoneBurner api_calldone beside the first page, 32 connections")
        callbacks = dialing.measure_callbacks(
            servers["subject"].base,
            url_for(servers, "subject", ds, ""),
            {"Authorization": f"Bearer {tokens['b']}"},
            ds.franchise_b,
            callback_sessions,
            mode,
            OUT / "dialer",
        )
    finally:
        for s in servers.values():
            s.stop()
        dialing.cleanup()
    try:
        log(f"bench: import_calls, {webhook.IMPORT_CALLS:,} calls")
        imported = webhook.measure_import(env, ds.franchise_a, OUT)
    finally:
        webhook.cleanup(url)
    try:
        log(f"bench: crm_sync --full against the fake CRM, {crm.CRM_CONTACTS:,} contacts")
        crm_synced = crm.measure_sync(env)
    finally:
        crm.cleanup()

    s8 = first["subject@8"]
    base = per_case["first_page:subject"]
    deep = per_case["depth_500k:subject"]
    small = per_case["small_franchise:subject"]
    results = {
        "api_vs_limit_rps": ratio(s8["rps"], first["limit@8"]["rps"]),
        "api_vs_drf_offset_rps": ratio(s8["rps"], first["drf_offset@8"]["rps"]),
        "api_vs_drf_cursor_rps": ratio(s8["rps"], first["drf_cursor@8"]["rps"]),
        "depth_500k_vs_first_page_latency": ratio(deep["p50"], base["p50"]),
        "big_vs_small_franchise_latency": ratio(base["p50"], small["p50"]),
        "queries_per_request": inproc["queries_per_request"],
        "ratelimit_overhead_ms_p50": inproc["ratelimit_overhead_ms_p50"],
        "api_p99_ms_8conn": s8["p99"],
        "recording_seek_ttfb_ms": rec["ttfb:subject"]["p50_ms"],
        "recording_vs_nginx_throughput": ratio(
            rec["throughput:subject"]["mb_per_s"], rec["throughput:nginx"]["mb_per_s"]
        ),
        # A run where some deliveries were refused (a stale signature, a 5xx) measured something else.
        "webhook_rps": None if hooks["webhook"]["errors"] else round(hooks["webhook"]["rps"], 1),
        "webhook_p99_ms": None if hooks["webhook"]["errors"] else hooks["webhook"]["p99"],
        "import_calls_per_s": imported["calls_per_s"],
        "recording_s3_seek_ttfb_ms": rec["ttfb:subject_s3"]["p50_ms"],
        "recording_s3_vs_disk_throughput": ratio(
            rec["throughput:subject_s3"]["mb_per_s"], rec["throughput:subject"]["mb_per_s"]
        ),
        "crm_sync_contacts_per_s": crm_synced["contacts_per_s"],
        # Likewise a callback refused (a 404 for a wrong secret, a 5xx) is not a callback recorded.
        "callback_p99_ms": None if callbacks["calldone"]["errors"] else callbacks["calldone"]["p99"],
        "callback_rps": None if callbacks["calldone"]["errors"] else round(callbacks["calldone"]["rps"], 1),
        "queue_page_ms_1m": queue["p50_ms"],
    }
    results["raw"] = {
        "mode": mode.name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip(),  # fmt: skip
        "machine": machine(),
        "servers": {"workers": workers, "threads": 4, "worker_class": "gthread"},
        "wrk": {"seconds": mode.seconds, "case_seconds": mode.case_seconds, "repeats": mode.repeats},
        "data": asdict(ds),
        "first_page": first,
        "cases_8conn": per_case,
        "in_process": inproc,
        "recordings": rec,
        "webhook_8conn": hooks,
        "import_calls": imported,
        "crm_sync": crm_synced,
        "callbacks_32conn": callbacks,
        "queue_page": queue,
        "targets": {k: {"target": t, "direction": h, "what": w} for k, (t, h, w) in TARGETS.items()},
        "elapsed_seconds": round(time.monotonic() - started, 1),
    }
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    table = report(results)
    print(table)
    write_benchmarks_md(table)
    log(f"bench: wrote {OUT / 'results.json'} and {BENCHMARKS.name} in {results['raw']['elapsed_seconds']}s")
    return 0


def report(results: dict) -> str:
    raw = results["raw"]
    lines = [
        f"Mode **{raw['mode']}**, {raw['date']}, commit {raw['commit']}, "
        f"{raw['data']['calls_b']:,} calls in B, {raw['data']['calls_a']:,} in A; "
        f"{raw['machine']['cpus']} CPUs ({raw['machine']['cpu']}), run took {raw['elapsed_seconds']}s.",
        "",
        "| measure | value | target | |",
        "|---|---:|---:|---|",
    ]
    for key, (target, how, what) in TARGETS.items():
        value = results[key]
        sign = "≥" if how == "ge" else "≤"
        lines.append(f"| `{key}` — {what} | {value} | {sign} {target} | {verdict(key, value)} |")
    lines += ["", "Requests/s and latency (ms) of the first page of B, median of the repeats [range]:", ""]
    lines += ["| server | conns | req/s | p50 | p99 | errors |", "|---|---:|---:|---:|---:|---:|"]
    for key, s in raw["first_page"].items():
        name, conns = key.split("@")
        lo, hi = s["rps_range"]
        lines.append(
            f"| {name} | {conns} | {s['rps']:.0f} [{lo:.0f}–{hi:.0f}] | {s['p50']:.2f} | {s['p99']:.2f} "
            f"| {s['errors']} |"
        )
    lines += ["", "Cases at 8 connections, subject beside the limit (the ratios compare these runs):", ""]
    lines += ["| case | server | req/s | p50 | p99 | errors |", "|---|---|---:|---:|---:|---:|"]
    for key, s in raw["cases_8conn"].items():
        case, name = key.split(":")
        lines.append(f"| {case} | {name} | {s['rps']:.0f} | {s['p50']:.2f} | {s['p99']:.2f} | {s['errors']} |")
    rec = raw["recordings"]
    lines += [
        "",
        f"Recordings: throughput subject {rec['throughput:subject']['mb_per_s']:.0f} MB/s vs nginx "
        f"{rec['throughput:nginx']['mb_per_s']:.0f} MB/s (4 conns); mid-file Range TTFB p50 subject "
        f"{rec['ttfb:subject']['p50_ms']} ms vs nginx {rec['ttfb:nginx']['p50_ms']} ms. "
        f"From the S3 store (moto on loopback): subject {rec['throughput:subject_s3']['mb_per_s']:.0f} MB/s, "
        f"the store alone {rec['throughput:s3_store']['mb_per_s']:.0f} MB/s; seek TTFB p50 subject "
        f"{rec['ttfb:subject_s3']['p50_ms']} ms vs the store alone {rec['ttfb:s3_store']['p50_ms']} ms.",
        f"Data: {'loaded in ' + str(raw['data']['load_seconds']) + 's, ' if raw['data']['loaded'] else 'reused; '}"
        f"{raw['data']['rows_per_second']:,} rows/s, {raw['data']['mb_per_second']} MB/s of transcripts "
        "through COPY (0 when reused).",
        f"Queries per request by page size: {raw['in_process']['queries_by_page_size']}.",
        f"Webhook at 8 senders: {raw['webhook_8conn']['webhook']['rps']:.0f} deliveries/s, p50 "
        f"{raw['webhook_8conn']['webhook']['p50']:.2f} ms, p99 {raw['webhook_8conn']['webhook']['p99']:.2f} ms, "
        f"{raw['webhook_8conn']['webhook']['errors']} errors; the first page beside it "
        f"{raw['webhook_8conn']['first_page']['rps']:.0f} req/s. import_calls: {raw['import_calls']['calls']:,} "
        f"calls in {raw['import_calls']['seconds']} s ({raw['import_calls']['output']}).",
        f"CRM sync against the fake: {raw['crm_sync']['contacts']:,} contacts in {raw['crm_sync']['pages']} pages, "
        f"{raw['crm_sync']['seconds']} s ({raw['crm_sync']['output']}; {raw['crm_sync']['wall_seconds']} s with the "
        f"process start); again, all unchanged: {raw['crm_sync']['unchanged_resync_per_s']} contacts/s.",
        _dialer_line(raw["callbacks_32conn"], raw["queue_page"]),
    ]
    return "\n".join(lines)


def _dialer_line(cb: dict, queue: dict) -> str:
    done, page = cb["calldone"], cb["first_page"]
    return (
        f"PhoneBurner api_calldone at 32 senders: {done['rps']:.0f} callbacks/s, p50 {done['p50']:.2f} ms, "
        f"p99 {done['p99']:.2f} ms, {done['errors']} errors ({cb['dial_calls']:,} dial calls from "
        f"{cb['callbacks_sent']:,} sent); the first page beside it at 32 connections {page['rps']:.0f} req/s, "
        f"p50 {page['p50']:.2f} ms, p99 {page['p99']:.2f} ms. Call-back queue page: p50 {queue['p50_ms']} ms, "
        f"{queue['queries']} queries, {queue['rows']} rows shown ({queue['recent_calls']:,} calls in its week)."
    )


def write_benchmarks_md(table: str) -> None:
    start, end = "<!-- results:start -->", "<!-- results:end -->"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else f"# Benchmarks\n\n{start}\n{end}\n"
    if start not in text:
        text += f"\n{start}\n{end}\n"
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    BENCHMARKS.write_text(f"{head}{start}\n{table}\n{end}{tail}")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        sys.exit(130)
