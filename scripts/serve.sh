#!/usr/bin/env bash
# The production profile (`make serve`): check the environment, migrate, collect static files, then run
# gunicorn and the job cluster together until SIGTERM (or Ctrl-C), which stops both within 6 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
export DEBUG=false

# One clear line per missing or wrong variable, before anything starts (the settings' own checks too).
"$BIN/python" -m config.production --settings

"$BIN/python" manage.py check --deploy --fail-level ERROR
"$BIN/python" manage.py migrate --noinput
"$BIN/python" manage.py collectstatic --noinput --verbosity 0

# shellcheck source=scripts/supervise.sh
. scripts/supervise.sh
echo "  Breesy desk (production profile) on ${HOST:-127.0.0.1}:${PORT:-8000}; SIGTERM or Ctrl-C stops it."
part "web server" leader "$BIN/python" -m gunicorn config.wsgi --config python:config.gunicorn
part "job worker" leader "$BIN/python" manage.py qcluster
supervise
