#!/usr/bin/env bash
# Starts the web app, the django-q2 job worker and the fakes (CRM, PhoneBurner) together; Ctrl-C (or
# SIGTERM to the process group, as a process manager sends) stops them all within a few seconds,
# leaving nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.venv/bin}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
# Local development talks to servers on this machine (a voice-agent platform's audio, the fakes);
# the outbound guard refuses loopback addresses unless they are listed. Never set like this in production.
export OUTBOUND_ALLOWED_HOSTS=${OUTBOUND_ALLOWED_HOSTS:-127.0.0.1,localhost}
# Links and callbacks (PhoneBurner's, the API's recording_url) point at this server.
site_host=$HOST
[ "$HOST" = 0.0.0.0 ] && site_host=127.0.0.1
export SITE_URL=${SITE_URL:-http://$site_host:$PORT}
# Unless PHONEBURNER_BASE_URL names a PhoneBurner, the dialer talks to a fake one on a free port.
fake_phoneburner_port=
if [ -z "${PHONEBURNER_BASE_URL:-}" ]; then
    fake_phoneburner_port=$("$BIN/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    export PHONEBURNER_BASE_URL="http://127.0.0.1:$fake_phoneburner_port"
fi
# shellcheck source=scripts/supervise.sh
. scripts/supervise.sh

echo
echo "  Breesy desk is starting at http://$HOST:$PORT/  (admin: http://$HOST:$PORT/admin/)"
"$BIN/python" manage.py demo_login 2>/dev/null | sed 's/^/  /' || true
echo "  The job worker (django-q2) and the fakes run beside it. Ctrl-C stops them all."
echo "  Post a signed call to the webhook, audio included: $BIN/python manage.py send_demo_call --url $SITE_URL"
# Commands run from another shell (link_phoneburner, crm_sync, reconcile_dial_sessions) need the
# settings this script gives its own parts, or they would call the real PhoneBurner and refuse the fakes.
echo "  Commands in another shell talk to these fakes after:"
echo "    export OUTBOUND_ALLOWED_HOSTS=$OUTBOUND_ALLOWED_HOSTS SITE_URL=$SITE_URL PHONEBURNER_BASE_URL=$PHONEBURNER_BASE_URL"
echo

# The worker starts after the banner so its start-up log does not split the URL from the login.
part "job worker" leader "$BIN/python" manage.py qcluster
# A fake CRM with a few hundred contacts, the demo franchise connected to it (its page: /settings/crm/).
part "fake CRM" group "$BIN/python" manage.py demo_crm --site-url "http://$HOST:$PORT"
# A fake PhoneBurner with the demo user linked to it: dial the call-back queue at /dialer/queue/.
if [ -n "$fake_phoneburner_port" ]; then
    part "fake PhoneBurner" group "$BIN/python" manage.py fake_phoneburner --port "$fake_phoneburner_port" --link demo
fi
part "web server" group "$BIN/python" manage.py runserver "$HOST:$PORT"
supervise
