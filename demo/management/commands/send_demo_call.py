"""Play the voice-agent platform once: sign and post a finished call to the webhook, serve its audio
from 127.0.0.1, and wait until the job worker has fetched it (what `make run`'s "Done when" shows)."""

from __future__ import annotations

import json
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from standardwebhooks.webhooks import Webhook

from calls.models import RecordingFetch
from calls.webhooks import webhook_secret_create, webhook_secrets_active
from demo.seed import DEMO_DIR, DIALOGUE_CALLS, FRANCHISE_NAME, LOCATIONS
from franchises.cli import franchise_from_arg
from franchises.models import Franchise

DIALOGUE = "burst_pipe"
POLL_SECONDS = 0.2


@contextmanager
def audio_server(audio: bytes) -> Iterator[str]:
    """Serve `audio` as audio/mpeg at any path of 127.0.0.1 on a free port; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "audio/mpeg")
            self.send_header("Content-Length", str(len(audio)))
            self.end_headers()
            self.wfile.write(audio)

        def log_message(self, *args) -> None:  # the command prints its own lines
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def demo_call(*, audio_url: str, now: datetime) -> dict:
    """A finished burst-pipe call in the Data Share call shape, as the platform would send it."""
    dialogue = json.loads((DEMO_DIR / "dialogues.json").read_text())[DIALOGUE]
    about = DIALOGUE_CALLS[DIALOGUE]
    turns = dialogue["turns"]
    phone = f"+1512555{random.randrange(10_000):04d}"
    return {
        "conversation_id": f"CA{uuid.uuid4().hex}",
        "timestamp": now.isoformat(timespec="seconds"),
        "duration": str(dialogue["duration"]),
        "agent_type": "afterhours",
        "location": LOCATIONS[0],
        "caller_id": phone,
        "customer_phone": phone,
        "customer_name": "Jordan Avery",
        **{key: about[key] for key in ("call_category", "request_type", "loss_type", "property_area", "call_summary")},
        "transcript": " ".join(f"{t['speaker'].capitalize()}: {t['text']}" for t in turns),
        "transcript_turns": turns,
        "recording_source_url": f"{audio_url}/recordings/{uuid.uuid4().hex}.mp3",
    }


class Command(BaseCommand):
    help = (
        "Act as the voice-agent platform once: post a signed finished call to the webhook of a running app "
        "(make run), serve its audio on 127.0.0.1 and wait until the job worker has fetched it. Signs with the "
        "franchise's active webhook secret, making one when it has none."
    )

    def add_arguments(self, parser):
        parser.add_argument("--url", default=settings.SITE_URL, help="where the app runs (default: SITE_URL)")
        parser.add_argument("--franchise", default=FRANCHISE_NAME, help="uuid or exact name (default: the demo's)")
        parser.add_argument("--wait", type=float, default=30.0, help="seconds to wait for the audio (default 30)")

    def handle(self, *args, url: str, franchise: str, wait: float, **options):
        target = franchise_from_arg(franchise)
        secret = self._secret(target)
        site = url.rstrip("/")
        with audio_server((DEMO_DIR / "audio" / f"{DIALOGUE}.mp3").read_bytes()) as audio_url:
            payload = demo_call(audio_url=audio_url, now=datetime.now(UTC))
            conversation_id = payload["conversation_id"]
            started = time.monotonic()
            answer = self._post(f"{site}/hooks/calls/{target.pk}", secret, payload)
            took_ms = (time.monotonic() - started) * 1000
            self.stdout.write(f"posted call {conversation_id}: {answer.status_code} {answer.text} in {took_ms:.0f} ms")
            self.stdout.write(f"  its page: {site}/calls/{conversation_id}/")
            status, error = self._wait_for_audio(conversation_id, wait)
        waited = time.monotonic() - started
        if status == RecordingFetch.Status.FETCHED:
            self.stdout.write(f"audio fetched {waited:.1f} s after the post")
        elif status == RecordingFetch.Status.FAILED:
            raise CommandError(f"the audio fetch failed: {error}")
        else:
            raise CommandError(
                f"the audio is still pending after {wait:.0f} s: is the job worker running (manage.py qcluster), "
                "and is 127.0.0.1 in OUTBOUND_ALLOWED_HOSTS (make run sets it)?"
            )

    def _secret(self, franchise: Franchise) -> str:
        """An active secret of the franchise (read as the webhook reads it), or a new one."""
        found = webhook_secrets_active(franchise.pk)
        if found:
            return found[0]
        secret, plaintext = webhook_secret_create(franchise=franchise)
        self.stdout.write(f"{franchise.name} had no webhook secret: made {secret.prefix}… (see /settings/webhooks/)")
        return plaintext

    def _post(self, hook_url: str, secret: str, payload: dict) -> httpx.Response:
        body = json.dumps(payload)
        webhook_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(webhook_id, now, body),
        }
        try:
            answer = httpx.post(hook_url, content=body, headers=headers, timeout=10, trust_env=False)
        except httpx.HTTPError as exc:
            raise CommandError(f"could not post to {hook_url}: {exc} (is the app running? make run)") from None
        if not answer.is_success:
            raise CommandError(f"the webhook answered {answer.status_code}: {answer.text}")
        return answer

    def _wait_for_audio(self, conversation_id: str, wait: float) -> tuple[str, str]:
        """The fetch's status once it is no longer pending, or "pending" when `wait` runs out."""
        deadline = time.monotonic() + wait
        fetch = RecordingFetch.objects.filter(call__conversation_id=conversation_id)
        while True:
            status, error = fetch.values_list("status", "last_error").first() or ("pending", "")
            if status != RecordingFetch.Status.PENDING or time.monotonic() >= deadline:
                return status, error
            time.sleep(POLL_SECONDS)
