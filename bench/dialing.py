"""The dialer: PhoneBurner's `api_calldone` under 32 concurrent senders, and the call-back queue page
of the franchise with a million calls.

Callbacks: 32 dial sessions of franchise B (one per agent dialling, as PhoneBurner sends them), each
with 16 contacts of their own (made for the bench, phones +1555999xxxx), and wrk at 32 connections
posting `api_calldone` bodies as the spec shows them — a new call id each, a mix of stock
dispositions, the contact's notes with a new line — to the sessions' secret URLs, alternating with
the Data Share API's first page at 32 connections on the same server. Each accepted callback writes
a dial call, the caller's triage, the contact's notes and history, in one transaction.

The queue: B's last week of calls copied to the last week before now (the loaded calls end on
2026-11-01; at a million calls over two years that is some 9,600 calls, 1,900 in quick mode), then
`/dialer/queue/` for a staff member of B through the Django test client in this process: SQL queries
per page and the page's p50. Everything both add is deleted afterwards.
"""

from __future__ import annotations

import contextlib
import secrets
import statistics
import time
from pathlib import Path

from bench import load

SESSIONS = 32
CONTACTS_PER_SESSION = 16
CONNECTIONS = 32
PHONE_PREFIX = "+1555999"
RECENT_PREFIX = "bench-dq-"
STAFF = "bench-dialer"
QUEUE_SAMPLES = {"quick": 15, "full": 40}

# Each wrk thread makes call ids of its own (thread id + n × threads); each run has its own prefix,
# so no callback of a later run is a replay (a replay is cheaper: it finds its row and stops).
LUA = r"""
local S = { __SESSIONS__ }
local DISPOSITIONS = {"No Answer", "No Answer", "No Answer", "No Answer", "No Answer", "No Answer",
                      "Left Message", "Left Message", "Interested", "Busy Phone"}
local threads, n = 0, 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  nthreads = __THREADS__
end
function request()
  local k = n * nthreads + tid
  n = n + 1
  local s = S[k % #S + 1]
  local c = s.leads[math.floor(k / #S) % #s.leads + 1]
  local call_id = "__RUN__" .. k
  local disposition = DISPOSITIONS[k % #DISPOSITIONS + 1]
  local body = string.format(
    '{"status":"%s","duration":%d,"call_id":"%s","connected":"%s","contact":{"user_id":"%d",' ..
    '"lead_id":"%s","phone":"%s","first_name":"Bench","last_name":"Caller","phones":[{"number":"%s",' ..
    '"phone_type":"Cell","phone_label":null}],"addresses":[],"notes":"-- Nov 30, 2026 9:15 am - PB - ' ..
    '%s (call %s)"}}',
    disposition, 5 + k % 90, call_id, disposition == "Interested" and "1" or "0", 30919237 + k,
    c.id, c.phone, c.phone, disposition, call_id)
  return wrk.format("POST", s.path, {["Content-Type"] = "application/json", ["Connection"] = "close"}, body)
end
"""


def cleanup() -> None:
    """Remove what the dialer bench adds (also what a crashed run left): sessions and their calls,
    the bench contacts, the copied recent calls, the staff member."""
    from django.contrib.auth.models import User
    from django.db import DatabaseError

    from calls.models import Call
    from contacts.models import Contact
    from dialer.models import BadPhone, DialSession

    with contextlib.suppress(DatabaseError):  # a new database, not migrated yet: nothing to delete
        BadPhone.objects.all().delete()
        DialSession.objects.all().delete()  # the bench database's own: its calls go with them
        Contact.objects.filter(primary_phone__startswith=PHONE_PREFIX).delete()
        Call.objects.filter(conversation_id__startswith=RECENT_PREFIX).delete()
        User.objects.filter(username=STAFF).delete()


def staff_member(franchise_id: str):
    from franchises.models import Franchise, Membership
    from franchises.roles import staff_user_add

    user, _ = staff_user_add(
        username=STAFF,
        franchise=Franchise.objects.get(pk=franchise_id),
        role=Membership.Role.AGENT,
        password=secrets.token_urlsafe(24),
    )
    return user


# --- The queue page ----------------------------------------------------------------------------------


def copy_recent_calls(url: str, franchise_id: str, end) -> int:
    """B's last week of calls again, moved to the last week before now (new conversation ids)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        columns = [
            row[0]
            for row in conn.execute(
                """SELECT column_name FROM information_schema.columns WHERE table_name = 'calls_call'
                   AND is_identity = 'NO' AND is_generated = 'NEVER' ORDER BY ordinal_position"""
            )
        ]
        moved = {
            "conversation_id": "%(prefix)s || id",
            "timestamp": "timestamp + (now() - %(end)s)",
            "state": "'new'",
            "state_changed_at": "NULL",
            "state_changed_by_id": "NULL",
        }
        select = ", ".join(moved.get(c, c) for c in columns)
        cursor = conn.execute(
            f"""INSERT INTO calls_call ({", ".join(columns)}) SELECT {select} FROM calls_call
                WHERE franchise_id = %(franchise)s AND timestamp >= %(end)s - interval '7 days'
                AND conversation_id NOT LIKE 'bench-%%'""",
            {"prefix": RECENT_PREFIX, "end": end, "franchise": franchise_id},
        )
        conn.execute("ANALYZE calls_call")
        return cursor.rowcount


def measure_queue(url: str, franchise_id: str, end, mode_name: str) -> dict:
    """`/dialer/queue/` for a staff member of B: queries per page and p50 over a few requests."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client, override_settings

    copied = copy_recent_calls(url, franchise_id, end)
    client = Client()
    client.force_login(staff_member(franchise_id))
    # No static files are collected for the bench: their plain URLs instead of the manifest's.
    plain = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    with override_settings(STORAGES=plain):
        for _ in range(2):  # warm: plans, the navigation's cached count
            response = client.get("/dialer/queue/")
            if response.status_code != 200:
                raise SystemExit(f"bench: GET /dialer/queue/ answered {response.status_code}")
        statements: list[str] = []

        def count(execute, sql, params, many, context):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            page = client.get("/dialer/queue/")
        samples = []
        for _ in range(QUEUE_SAMPLES[mode_name]):
            started = time.perf_counter()
            client.get("/dialer/queue/")
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "recent_calls": copied,
        "rows": page.content.count(b'data-testid="queue-row"'),
        "queries": len(statements),
        "samples": len(samples),
        "p50_ms": round(statistics.median(samples), 2),
        "p90_ms": round(samples[int(len(samples) * 0.9)], 2),
    }


# --- api_calldone ---------------------------------------------------------------------------------------


def prepare_callbacks(franchise_id: str) -> list[dict]:
    """32 launched sessions of B with 16 bench contacts each; their calldone paths and leads."""
    from django.utils import timezone

    from contacts.models import ContactChange
    from contacts.services import NewContact, contact_create_many
    from dialer.models import DialSession
    from dialer.services import callback_secret_hash
    from franchises.models import Franchise

    franchise = Franchise.objects.get(pk=franchise_id)
    user = staff_member(franchise_id)
    new = [
        NewContact(phones=[f"{PHONE_PREFIX}{n:04d}"], fields={"first_name": "Bench", "last_name": f"Caller {n}"})
        for n in range(SESSIONS * CONTACTS_PER_SESSION)
    ]
    contacts = contact_create_many(franchise=franchise, new=new, source=ContactChange.Source.API)
    sessions = []
    for s in range(SESSIONS):
        secret = secrets.token_urlsafe(32)
        session = DialSession.objects.create(
            franchise=franchise,
            created_by=user,
            status=DialSession.Status.LAUNCHED,
            callback_secret_hash=callback_secret_hash(secret),
            last_callback_at=timezone.now(),
        )
        mine = contacts[s * CONTACTS_PER_SESSION : (s + 1) * CONTACTS_PER_SESSION]
        session.contacts.set(mine)
        sessions.append(
            {
                "path": f"/hooks/phoneburner/{session.pk}/{secret}/calldone/",
                "leads": [{"id": str(c.pk), "phone": c.primary_phone} for c in mine],
            }
        )
    return sessions


def write_script(path: Path, sessions: list[dict], run: str, threads: int) -> Path:
    def lead(c: dict) -> str:
        return f'{{id = "{c["id"]}", phone = "{c["phone"]}"}}'

    table = ", ".join(f'{{path = "{s["path"]}", leads = {{{", ".join(map(lead, s["leads"]))}}}}}' for s in sessions)
    body = LUA.replace("__SESSIONS__", table).replace("__THREADS__", str(threads)).replace("__RUN__", run)
    path.write_text(body + load.REPORT_LUA)
    return path


def measure_callbacks(
    base: str, first_page_url: str, auth: dict, franchise_id: str, sessions: list[dict], mode, out: Path
) -> dict:
    """api_calldone and the first page, alternating, at 32 connections; medians of the repeats."""
    from dialer.models import DialCall

    out.mkdir(parents=True, exist_ok=True)
    report = load.write_script(out / "report.lua")
    seconds = max(mode.seconds[CONNECTIONS], 3)  # a p99 needs a few hundred answers at 32 senders
    threads = min(CONNECTIONS, 2)  # as load.wrk runs it
    runs: dict[str, list] = {"calldone": [], "first_page": []}
    sent = 0
    for rep in range(mode.repeats + 1):  # the first round warms both up and is not kept
        script = write_script(out / "calldone.lua", sessions, f"{rep + 1}{secrets.token_hex(3)}", threads)
        calldone = load.wrk(f"{base}{sessions[0]['path']}", CONNECTIONS, seconds, {}, script)
        page = load.wrk(first_page_url, CONNECTIONS, seconds, auth, report)
        sent += calldone.requests
        if rep:
            runs["calldone"].append(calldone)
            runs["first_page"].append(page)
    summary: dict = {name: load.summarise(values) for name, values in runs.items()}
    # Each callback answered makes a dial call of its own: the rows show none was lost or doubled.
    summary["callbacks_sent"] = sent
    summary["dial_calls"] = DialCall.objects.filter(franchise_id=franchise_id).count()
    return summary
