"""The command-line tools the benchmark drives, installed from Debian when missing and we are root."""

from __future__ import annotations

import os
import shutil
import subprocess

from bench.data import BenchError

# command → Debian package
TOOLS = {"wrk": "wrk", "nginx": "nginx-light", "espeak-ng": "espeak-ng", "sox": "sox", "lame": "lame"}


def which(command: str) -> str | None:
    return shutil.which(command) or next(
        (p for p in (f"/usr/sbin/{command}", f"/sbin/{command}") if os.access(p, os.X_OK)), None
    )


def ensure_tools(log=print) -> None:
    missing = sorted({pkg for cmd, pkg in TOOLS.items() if not which(cmd)})
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BenchError(f"missing tools: sudo apt-get install -y {' '.join(missing)}")
    log(f"  installing {', '.join(missing)} (apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, timeout=300, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, timeout=900, env=env)
