"""Start and stop the benchmarked servers on 127.0.0.1, each in its own process group, with bounded waits."""

from __future__ import annotations

import grp
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.data import BenchError
from bench.tools import which

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    name: str
    port: int
    argv: list[str]
    env: dict[str, str]
    log: Path
    ready_path: str = "/"
    cwd: Path = ROOT  # where Python finds the code it serves (`python -m` puts it first on sys.path)
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited at start (status {self.proc.returncode}); see {self.log}")
            try:
                urllib.request.urlopen(self.base + self.ready_path, timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # it answers, which is all "ready" means
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise BenchError(f"{self.name} did not answer on port {self.port} within {timeout:.0f}s; see {self.log}")

    def stop(self) -> None:
        if not self.proc or self.proc.poll() is not None:
            return
        # Our own process group only: gunicorn's master and its workers, or nginx's master and workers.
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


def gunicorn(name: str, app: str, env: dict[str, str], logs: Path, workers: int, threads: int) -> Server:
    """Every Python server runs alike: gunicorn, `workers` processes of `threads` threads, keep-alive on."""
    port = free_port()
    argv = [
        sys.executable, "-m", "gunicorn", app, "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--worker-class", "gthread", "--threads", str(threads), "--keep-alive", "30", "--timeout", "60",
        "--log-level", "warning", "--error-logfile", "-",
    ]  # fmt: skip
    return Server(name, port, argv, env, logs / f"{name}.log")


def nginx(media_root: Path, workdir: Path, workers: int) -> Server:
    """nginx serving the recordings folder as static files: the streaming baseline."""
    binary = which("nginx") or "nginx"
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    conf = workdir / "nginx.conf"
    # Run as root, nginx hands requests to workers of user `nobody`, who cannot read a clone under a
    # private folder (/root, a mktemp -d): its workers run as whoever runs the bench instead.
    user = (
        f"user {pwd.getpwuid(os.geteuid()).pw_name} {grp.getgrgid(os.getegid()).gr_name};" if os.geteuid() == 0 else ""
    )
    conf.write_text(
        f"""daemon off;
{user}
worker_processes {workers};
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {workdir}/tmp;
    proxy_temp_path {workdir}/tmp;
    fastcgi_temp_path {workdir}/tmp;
    default_type application/octet-stream;
    types {{ audio/mpeg mp3; }}
    server {{
        listen 127.0.0.1:{port};
        location /media/ {{ alias {media_root}/; }}
        location = / {{ return 204; }}
    }}
}}
"""
    )
    argv = [binary, "-c", str(conf), "-p", str(workdir), "-e", str(workdir / "error.log")]
    return Server("nginx", port, argv, dict(os.environ), workdir / "nginx.log")


def s3_store(workdir: Path) -> Server:
    """An S3-compatible object store on loopback (moto's server, as the tests use): where the S3
    subject keeps the 5 MB recording. Its own speed bounds the S3 subject's, so it is measured too."""
    port = free_port()
    argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    return Server("s3-store", port, argv, dict(os.environ), workdir / "s3-store.log")
