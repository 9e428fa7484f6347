#!/usr/bin/env bash
# Starts the web app and the django-q2 job worker together; Ctrl-C (or SIGTERM to the process
# group, as a process manager sends) stops both within a few seconds, leaving nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Local development talks to servers on this machine (a voice-agent platform's audio, the fakes);
# the outbound guard refuses loopback addresses unless they are listed. Never set like this in production.
export OUTBOUND_ALLOWED_HOSTS=${OUTBOUND_ALLOWED_HOSTS:-127.0.0.1,localhost}
# shellcheck source=scripts/supervise.sh
. scripts/supervise.sh

echo
echo "  Breesy desk is starting at http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)"
"$BIN/python" manage.py demo_login 2>/dev/null | sed 's/^/  /' || true
echo "  The job worker (django-q2) runs beside it. Ctrl-C stops both."
echo

# The worker starts after the banner so its start-up log does not split the URL from the login.
part "job worker" leader "$BIN/python" manage.py qcluster
# A fake CRM with a few hundred contacts, the demo franchise connected to it (its page: /settings/crm/).
part "fake CRM" group "$BIN/python" manage.py demo_crm --site-url "http://$HOST:$PORT"
part "web server" group "$BIN/python" manage.py runserver "$HOST:$PORT"
supervise
