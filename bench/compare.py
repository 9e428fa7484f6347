"""`python -m bench.compare REV`: the subject at git revision REV beside the working tree's, in one run.

What moved the numbers, measured rather than remembered: both versions under gunicorn, same data
(`make bench-quick`'s, reused or loaded), the limit beside them, wrk alternating between them:
calls at 8 connections, a contacts search at 8, a 5 MB recording at 4, signed webhook deliveries at 8
(each server its own fresh ones; removed afterwards). REV is checked out into a
temporary git worktree; its own code is served (each server runs from its own tree), with this
tree's packages. Prints medians of the repeats.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import tempfile
from pathlib import Path

from bench import data, load, run, webhook
from bench import servers as srv


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rev", help="the git revision to compare with, e.g. a commit before a change")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=3)
    args = parser.parse_args()
    url = data.check_database_url(os.environ.get("DATABASE_URL", ""))
    data.ensure_database(url)
    env = run.setup_django(url, secret=secrets.token_urlsafe(48))
    ds = data.load(url, data.QUICK, run.MEDIA, log=run.log)
    tokens = run.issue_tokens(ds)
    script = load.write_script(run.OUT / "report.lua")
    with tempfile.TemporaryDirectory() as tmp:
        before = Path(tmp) / "before"
        subprocess.run(["git", "worktree", "add", "--detach", str(before), args.rev], cwd=srv.ROOT, check=True)
        try:
            webhook.cleanup(url)
            compare(env, ds, tokens, script, before, args.repeats, args.seconds, webhook.prepare(ds.franchise_b))
        finally:
            webhook.cleanup(url)
            subprocess.run(["git", "worktree", "remove", "--force", str(before)], cwd=srv.ROOT, check=False)


def compare(env, ds, tokens, script, before: Path, repeats: int, seconds: int, hook_secret: str) -> None:
    logs = run.OUT / "logs"
    servers = {
        "before": srv.gunicorn("before", "config.wsgi:application", env, logs, 2, 4),
        "now": srv.gunicorn("now", "config.wsgi:application", env, logs, 2, 4),
        "limit": srv.gunicorn("limit", "bench.limit_app:application", env, logs, 2, 4),
    }
    servers["before"].cwd = before
    servers["before"].ready_path = servers["now"].ready_path = "/data/openapi.json"
    auth = {"Authorization": f"Bearer {tokens['b']}"}
    cases = {  # name: (path, connections)
        "calls": ("/data/calls", 8),
        "contacts search": (f"/data/contacts?search={ds.contact_search_b}", 8),
        "recording 5 MB": (f"/data/recordings/{ds.recording_conversation_id}", 4),
        "webhook": (f"/hooks/calls/{ds.franchise_b}", webhook.CONNECTIONS),
    }
    hooks = run.OUT / "webhook"
    hooks.mkdir(parents=True, exist_ok=True)
    runs: dict[tuple[str, str], list[load.Run]] = {}
    try:
        for server in servers.values():
            server.start()
        for _ in range(repeats):
            for case, (path, conns) in cases.items():
                for name, server in servers.items():
                    if name == "limit" and case != "calls":
                        continue
                    target = f"/data/calls?franchise_id={ds.franchise_b}" if name == "limit" else path
                    headers = {} if name == "limit" else auth
                    used = script
                    if case == "webhook":  # deliveries signed just now, never sent before
                        signed = webhook.write_deliveries(hooks / "deliveries.tsv", hook_secret, 2500 * seconds)
                        used = webhook.write_script(hooks / "webhook.lua", signed, ds.franchise_b, min(conns, 2))
                        headers = {}
                    result = load.wrk(server.base + target, conns, seconds, headers, used)
                    runs.setdefault((case, name), []).append(result)
    finally:
        for server in servers.values():
            server.stop()
    print(f"{'case':16} {'server':7} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'MB/s':>8} {'errors':>7}")
    for (case, name), results in runs.items():
        median = {k: statistics.median(getattr(r, k) for r in results) for k in ("rps", "p50", "p99", "mb_per_s")}
        figures = f"{median['rps']:8.1f} {median['p50']:8.1f} {median['p99']:8.1f} {median['mb_per_s']:8.0f}"
        print(f"{case:16} {name:7} {figures} {sum(r.errors for r in results):7}")


if __name__ == "__main__":
    main()
