"""gunicorn's settings for `make serve`, the production profile (`gunicorn -c python:config.gunicorn`).

Worker processes of 4 threads each: a thread waiting on a slow listener (a recording streams for as long
as the player reads) does not hold a whole process. Requests are logged by the app itself (one line,
never a secret: config/request_log.py), so gunicorn's access log stays off.
"""

from __future__ import annotations

import multiprocessing
import os

bind = f"{os.environ.get('HOST') or '127.0.0.1'}:{os.environ.get('PORT') or '8000'}"
# gunicorn's own rule of thumb (2 × cores + 1); WEB_CONCURRENCY is the usual override.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS") or 4)
timeout = 30  # a worker that stops answering its master for this long is replaced
graceful_timeout = 5  # on SIGTERM, requests in flight get 5 s (scripts/supervise.sh kills what is left at 6)
keepalive = 5  # behind a proxy that reuses connections
max_requests, max_requests_jitter = 2000, 200  # recycle workers now and then, not all at once
accesslog = None
errorlog = "-"
# The proxies whose X-Forwarded-Proto gunicorn believes (it sets the request's scheme): the same list
# the app believes for X-Forwarded-For (config/proxies.py); none unless configured.
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "")
# No control socket: several gunicorns on one machine would share its one path ($HOME/.gunicorn), and a
# process manager's signals are all this needs.
control_socket_disable = True
