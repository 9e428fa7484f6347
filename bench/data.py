"""Benchmark data: two franchises on PostgreSQL, loaded with COPY and reused across runs.

Franchise "Bench A" has 10k calls, "Bench B" a million (quick mode: 200k), spread over two years,
with transcripts of a few KB, a quarter of them with transcript turns, one call in a hundred with
a recording (all pointing at one real 5 MB mp3), and a CRM of contacts whose phones match callers.
Rows go in through `COPY … FREEZE` with the secondary indexes of `calls_call` dropped and rebuilt
after (the full-text one beside the others, on a second connection), several times faster than
keeping them up to date row by row; frozen rows need no VACUUM for index-only scans.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

BENCH_NAMES = ("Bench A", "Bench B")
RECORDING_NAME = "recordings/bench/bench-5mb.mp3"
RECORDING_EVERY = 100  # one call in a hundred has a Recording row
END = datetime(2026, 11, 1, tzinfo=UTC)
SPAN = timedelta(days=730)


class BenchError(SystemExit):
    """A one-line reason the benchmark cannot run (exits with status 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"bench: {message}")


@dataclass(frozen=True)
class Scale:
    calls_a: int
    calls_b: int

    @property
    def contacts_b(self) -> int:
        return self.calls_b // 20

    @property
    def contacts_a(self) -> int:
        return self.calls_a // 20


QUICK = Scale(calls_a=10_000, calls_b=200_000)
FULL = Scale(calls_a=10_000, calls_b=1_000_000)


def check_database_url(url: str) -> str:
    """The benchmark needs PostgreSQL: SQLite would measure SQLite's single writer, not the API."""
    if not url:
        raise BenchError(
            "set DATABASE_URL to a PostgreSQL database, e.g. postgres://postgres@127.0.0.1:5432/breesy_bench"
        )
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise BenchError(f"DATABASE_URL must be PostgreSQL (got {scheme or 'no'} scheme); SQLite is not benchmarked")
    return url


def ensure_database(url: str) -> None:
    """Create the database named in the URL if it does not exist yet (a fresh clone needs nothing else)."""
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError("DATABASE_URL has no database name")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    try:
        with psycopg.connect(maintenance, autocommit=True, connect_timeout=5) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        raise BenchError(f"cannot reach PostgreSQL at {parts.hostname}:{parts.port or 5432}: {exc}") from None


# --- realistic text -----------------------------------------------------------------------------------

FIRST = [
    "Jordan",
    "Casey",
    "Riley",
    "Morgan",
    "Taylor",
    "Avery",
    "Jamie",
    "Quinn",
    "Drew",
    "Parker",
    "Rowan",
    "Skyler",
    "Emerson",
    "Hayden",
]
LAST = [
    "Smith",
    "Johnson",
    "Garcia",
    "Brown",
    "Miller",
    "Davis",
    "Wilson",
    "Moore",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "King",
]
STREETS = [
    "Main",
    "Oak",
    "Maple",
    "Cedar",
    "Pine",
    "Elm",
    "Lake",
    "Hill",
    "Park",
    "Washington",
    "Lincoln",
    "Jackson",
    "Sunset",
    "River",
]
CITIES = [
    "Springfield",
    "Riverside",
    "Franklin",
    "Greenville",
    "Bristol",
    "Clinton",
    "Fairview",
    "Salem",
    "Madison",
    "Georgetown",
]
LOSS = ["Water", "Fire", "Mold", "Storm", "Sewage", None]
CATEGORIES = ["new_urgent_service_request", "existing_job_follow_up", "estimate_request", "billing", "spam"]
AGENTS = ["afterhours", "overflow", "daytime"]
AREAS = ["Basement", "Kitchen", "Bathroom", "Attic", "Living room", "Garage", None]
REFERRALS = ["Google", "Insurance agent", "Repeat customer", "Yelp", "Neighbour", None]
AREA_CODES = ["212", "312", "415", "512", "617", "720", "303", "404", "206", "702"]
SENTENCES = [
    "Agent: Thanks for calling, this is the after-hours line, how can I help you tonight?",
    "Caller: Hi, we came home and there is water all over the basement floor.",
    "Agent: I'm sorry to hear that. Is the water still coming in, or has it stopped?",
    "Caller: I think a pipe burst near the water heater, it's still dripping a bit.",
    "Agent: Please shut off the main water valve if you can reach it safely.",
    "Caller: Okay, I found it, it's off now. The carpet in the den is soaked too.",
    "Agent: Understood. Can I get the address of the property and the best callback number?",
    "Caller: Sure, it's on Maple Street, and you can reach me on this number any time.",
    "Agent: Do you have homeowner's insurance, and have you opened a claim yet?",
    "Caller: We have insurance, I haven't called them yet, I wanted someone out here first.",
    "Agent: That's fine, our technician can document the damage for your adjuster.",
    "Agent: I'm scheduling an emergency crew, they'll call you within thirty minutes.",
    "Caller: Thank you so much, how long does drying usually take?",
    "Agent: Typically three to five days with dehumidifiers and air movers, depending on materials.",
    "Caller: Will you need to remove the drywall?",
    "Agent: Possibly the bottom two feet if moisture readings are high; the technician will check.",
]


def _transcript(rng: random.Random) -> str:
    target = rng.randint(1200, 4000)  # a call of one to five minutes
    parts: list[str] = []
    size = 0
    while size < target:
        s = rng.choice(SENTENCES)
        parts.append(s)
        size += len(s) + 1
    return "\n".join(parts)


def _turns(text: str) -> str:
    import orjson

    turns = []
    for n, line in enumerate(text.split("\n")):
        speaker, _, said = line.partition(": ")
        turns.append({"speaker": speaker.lower(), "text": said, "start": n * 6.5})
    return orjson.dumps(turns).decode()


def _phone(rng: random.Random) -> str:
    return f"+1{rng.choice(AREA_CODES)}{rng.randint(2, 9)}{rng.randint(0, 99):02d}{rng.randint(0, 9999):04d}"


def _raw(e164: str, style: int) -> str:
    """The same number written the ways voice platforms and people send it."""
    a, b, c = e164[2:5], e164[5:8], e164[8:]
    return (e164, f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"1{a}{b}{c}")[style % 4]


CALL_COLUMNS = (
    "franchise_id", "location_id", "conversation_id", "caller_id", "timestamp", "duration", "agent_type",
    "call_category", "customer_name", "customer_email", "customer_phone", "call_summary", "loss_type",
    "referral_source", "notes", "property_area", "request_type", "service_location", "callback_number",
    "transcript", "transcript_turns", "real_estate_address", "real_estate_last_sale_value",
    "real_estate_current_value", "real_estate_owner_name1", "real_estate_owner_name2",
    "real_estate_room_count", "real_estate_square_footage", "real_estate_year_built",
    "caller_id_e164", "callback_number_e164", "customer_phone_e164", "created_at", "updated_at",
)  # fmt: skip


def _call_rows(franchise_id: str, tag: str, n: int, locations: list[str], phones: list[str], seed: int):
    rng = random.Random(seed)
    transcripts = [_transcript(rng) for _ in range(300)]
    turns = [_turns(t) for t in transcripts]
    now = END.isoformat()
    span = SPAN.total_seconds()
    for i in range(n):
        k = rng.randrange(300)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        caller = rng.choice(phones)
        style = rng.randrange(4)
        r = rng.random()
        callback = caller if r < 0.7 else (None if r < 0.9 else rng.choice(phones))
        customer = caller if rng.random() < 0.6 else None
        street = f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St, {rng.choice(CITIES)}"
        has_re = rng.random() < 0.5
        ts = (END - timedelta(seconds=rng.random() * span)).isoformat()
        yield (
            franchise_id,
            locations[i % len(locations)] if i % 17 else None,
            f"CA{tag}{i:031x}",
            _raw(caller, style),
            ts,
            rng.randint(20, 900),
            rng.choice(AGENTS),
            rng.choice(CATEGORIES),
            f"{first} {last}",
            f"{first.lower()}.{last.lower()}@example.com" if rng.random() < 0.6 else None,
            _raw(customer, style + 1) if customer else None,
            transcripts[k][: rng.randint(120, 400)],
            rng.choice(LOSS),
            rng.choice(REFERRALS),
            "Caller requested a morning callback." if rng.random() < 0.3 else None,
            rng.choice(AREAS),
            "INITIAL_SERVICE_REQUEST",
            street,
            _raw(callback, style + 2) if callback else None,
            transcripts[k],
            turns[k] if i % 4 == 0 else "[]",
            street if has_re else None,
            str(rng.randint(150, 900) * 1000) if has_re else None,
            str(rng.randint(150, 990) * 1000) if has_re else None,
            f"{first} {last}" if has_re else None,
            None,
            str(rng.randint(3, 12)) if has_re else None,
            str(rng.randint(800, 4500)) if has_re else None,
            str(rng.randint(1920, 2022)) if has_re else None,
            caller,
            callback,
            customer,
            ts,
            now,
        )


CONTACT_COLUMNS = (
    "franchise_id", "first_name", "last_name", "organization_name", "is_business", "primary_phone",
    "primary_email", "alternate_phones", "alternate_emails", "notes", "referred_by", "addr_line1",
    "addr_line2", "addr_city", "addr_state", "addr_postal", "addr_country", "lifetime_value", "is_verified",
    "do_not_call", "do_not_text", "do_not_email", "crm_base", "created_at", "updated_at",
)  # fmt: skip


def _contact_rows(franchise_id: str, phones: list[str], seed: int):
    rng = random.Random(seed)
    now = END.isoformat()
    for phone in phones:
        first, last = rng.choice(FIRST), rng.choice(LAST)
        business = rng.random() < 0.15
        yield (
            franchise_id,
            first,
            last,
            f"{last} Property Management" if business else None,
            business,
            phone,
            f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.com",
            "[]",
            "[]",
            "Prefers morning calls." if rng.random() < 0.3 else None,
            rng.choice(REFERRALS),
            f"{rng.randint(1, 9999)} {rng.choice(STREETS)} St",
            None,
            rng.choice(CITIES),
            "IL",
            f"{rng.randint(10000, 99999)}",
            "US",
            f"{rng.randint(0, 50000)}.00",
            rng.random() < 0.5,
            False,
            False,
            False,
            "{}",
            now,
            now,
        )


# --- loading ------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """What a run needs to know about the loaded data."""

    franchise_a: str
    franchise_b: str
    locations_b: list[str]
    phone_b: str  # a caller of B with several calls
    contact_search_b: str
    calls_a: int
    calls_b: int
    contacts: int
    recordings: int
    recording_conversation_id: str
    recording_size: int
    loaded: bool  # False when reused from an earlier run
    load_seconds: float
    rows_per_second: float
    mb_per_second: float


def _secondary_indexes(cur: psycopg.Cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE INDEX …) of the table's indexes that no constraint owns, so they can be dropped."""
    return cur.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
           WHERE i.tablename = %s AND NOT EXISTS (
             SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
        [table],
    ).fetchall()


def _copy(cur: psycopg.Cursor, table: str, columns: tuple[str, ...], rows) -> tuple[int, int]:
    n = size = 0
    cols = ", ".join(f'"{c}"' for c in columns)
    # FREEZE: the caller truncated the table in this transaction (see `load`).
    with cur.copy(f"COPY {table} ({cols}) FROM STDIN WITH (FREEZE)") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
            size += len(row[19]) if table == "calls_call" else 200
    return n, size


def make_recording(path: Path, min_bytes: int = 5 * 1024 * 1024) -> None:
    """A real mp3 of at least 5 MB: an espeak-ng clip repeated with sox, encoded by lame at 128 kbit/s."""
    if path.exists() and path.stat().st_size >= min_bytes:
        return
    for tool in ("espeak-ng", "sox", "lame"):
        if not shutil.which(tool):
            raise BenchError(f"{tool} is missing: apt-get install -y espeak-ng sox lame")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        clip, long = Path(tmp) / "clip.wav", Path(tmp) / "long.wav"
        text = " ".join(s.split(": ", 1)[1] for s in SENTENCES)
        subprocess.run(["espeak-ng", "-w", str(clip), text], check=True, timeout=60)
        seconds = float(subprocess.run(["soxi", "-D", str(clip)], check=True, capture_output=True,
                                       text=True, timeout=30).stdout)  # fmt: skip
        needed = min_bytes * 8 / 128_000 + 2  # seconds of 128 kbit/s audio, plus a margin
        subprocess.run(["sox", "-V1", str(clip), "-r", "44100", "-c", "2", str(long),
                        "repeat", str(int(needed / seconds) + 1), "trim", "0", f"{needed:.0f}"],
                       check=True, timeout=120)  # fmt: skip
        subprocess.run(["lame", "--quiet", "-b", "128", str(long), str(path)], check=True, timeout=300)


def _summary(cur: psycopg.Cursor, a: str, b: str, recording: Path) -> dict:
    locations = [str(r[0]) for r in cur.execute(
        "SELECT id FROM franchises_location WHERE franchise_id = %s ORDER BY name", [b])]  # fmt: skip
    phone = cur.execute(
        """SELECT caller_id_e164 FROM calls_call WHERE franchise_id = %s AND caller_id_e164 IS NOT NULL
           ORDER BY id LIMIT 1""",
        [b],
    ).fetchone()[0]
    conv = cur.execute(
        """SELECT c.conversation_id FROM calls_recording r JOIN calls_call c ON c.id = r.call_id
           WHERE c.franchise_id = %s ORDER BY r.id LIMIT 1""",
        [b],
    ).fetchone()[0]
    count = {
        f: cur.execute("SELECT count(*) FROM calls_call WHERE franchise_id = %s", [f]).fetchone()[0] for f in (a, b)
    }
    return {
        "franchise_a": a,
        "franchise_b": b,
        "locations_b": locations,
        "phone_b": phone,
        "contact_search_b": "riley",
        "calls_a": count[a],
        "calls_b": count[b],
        "contacts": cur.execute("SELECT count(*) FROM contacts_contact").fetchone()[0],
        "recordings": cur.execute("SELECT count(*) FROM calls_recording").fetchone()[0],
        "recording_conversation_id": conv,
        "recording_size": recording.stat().st_size,
    }


def _existing(cur: psycopg.Cursor, scale: Scale) -> tuple[str, str] | None:
    """The two bench franchises when they already hold this scale's data; refuses a non-bench database."""
    rows = dict(cur.execute("SELECT name, id::text FROM franchises_franchise").fetchall())
    others = sorted(set(rows) - set(BENCH_NAMES))
    if others:
        raise BenchError(
            f"the database holds other franchises ({', '.join(others[:3])}…); point DATABASE_URL at a database "
            "of its own for the benchmark (it truncates the call and contact tables)"
        )
    if set(rows) != set(BENCH_NAMES):
        return None
    a, b = rows["Bench A"], rows["Bench B"]
    counts = dict(cur.execute("SELECT franchise_id::text, count(*) FROM calls_call GROUP BY 1").fetchall())
    recordings = cur.execute("SELECT count(*) FROM calls_recording").fetchone()[0]
    if counts.get(a) == scale.calls_a and counts.get(b) == scale.calls_b and recordings:
        return a, b
    return None


def _copy_all(cur: psycopg.Cursor, scale: Scale) -> tuple[dict[str, str], list[tuple[str, str]], int, int]:
    """Empty the tables, add the franchises and locations, COPY the calls and contacts in with the
    calls' secondary indexes dropped. Returns franchise ids, the dropped indexes, rows and bytes."""
    cur.execute(
        """TRUNCATE calls_recording, calls_call, contacts_contactphone, contacts_contact_tags,
           contacts_contact_primary_contact_tags, contacts_contact_locations, contacts_contact, contacts_tag,
           franchises_apitoken, franchises_ratelimitcounter, franchises_location, franchises_franchise CASCADE"""
    )
    fids, locs = {}, {}
    for name, count in (("Bench A", 2), ("Bench B", 5)):
        fids[name] = fid = str(uuid.uuid4())
        cur.execute(
            """INSERT INTO franchises_franchise (id, name, timezone, phone_region, created_at)
               VALUES (%s, %s, 'America/Chicago', 'US', %s)""",
            [fid, name, END],
        )
        locs[name] = [str(uuid.uuid4()) for _ in range(count)]
        for n, lid in enumerate(locs[name]):
            cur.execute(
                "INSERT INTO franchises_location (id, franchise_id, name, created_at) VALUES (%s, %s, %s, %s)",
                [lid, fid, f"{name} branch {n + 1}", END],
            )
    indexes = _secondary_indexes(cur, "calls_call")
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SET LOCAL synchronous_commit = off")
    rows = size = 0
    for seed, (name, n, tag) in enumerate((("Bench A", scale.calls_a, "a"), ("Bench B", scale.calls_b, "b")), start=1):
        rng = random.Random(seed * 1000)
        phones = list(dict.fromkeys(_phone(rng) for _ in range(max(500, n // 10))))  # distinct
        r, s = _copy(cur, "calls_call", CALL_COLUMNS, _call_rows(fids[name], tag, n, locs[name], phones, seed))
        rows, size = rows + r, size + s
        # Half of the callers are in the CRM.
        contacts = phones[: len(phones) // 2]
        r, _ = _copy(cur, "contacts_contact", CONTACT_COLUMNS, _contact_rows(fids[name], contacts, seed))
        rows += r
    return fids, indexes, rows, size


def _create_indexes(url: str, indexes: list[tuple[str, str]], log) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '1GB'")  # room to sort in memory
        for name, ddl in indexes:
            t = time.perf_counter()
            conn.execute(ddl)
            if time.perf_counter() - t > 5:
                log(f"  index {name}: {time.perf_counter() - t:.1f}s")


def _add_relations(cur: psycopg.Cursor, recording: Path) -> None:
    """Contacts' phones, locations and tags, and the calls' recordings, from the loaded rows."""
    cur.execute(
        """INSERT INTO contacts_contactphone (franchise_id, contact_id, number, is_primary)
           SELECT franchise_id, id, primary_phone, true FROM contacts_contact"""
    )
    cur.execute(
        """INSERT INTO contacts_contact_locations (contact_id, location_id)
           SELECT c.id, l.id FROM contacts_contact c
           JOIN LATERAL (SELECT id FROM franchises_location l WHERE l.franchise_id = c.franchise_id
                         ORDER BY l.name OFFSET c.id % 2 LIMIT 1) l ON true"""
    )
    cur.execute(
        """INSERT INTO contacts_tag (franchise_id, name, created_at)
           SELECT f.id, t, now() FROM franchises_franchise f, unnest(%s::text[]) t""",
        [["VIP", "Repeat Customer", "Insurance", "Commercial"]],
    )
    cur.execute(
        """INSERT INTO contacts_contact_tags (contact_id, tag_id)
           SELECT c.id, t.id FROM contacts_contact c JOIN contacts_tag t
           ON t.franchise_id = c.franchise_id AND t.name = (ARRAY['VIP', 'Insurance'])[c.id % 2 + 1]
           WHERE c.id % 3 = 0"""
    )
    cur.execute(
        f"""INSERT INTO calls_recording (call_id, file, size, content_type, created_at)
            SELECT id, %s, %s, 'audio/mpeg', timestamp FROM calls_call WHERE id %% {RECORDING_EVERY} = 0""",
        [RECORDING_NAME, recording.stat().st_size],
    )


def load(url: str, scale: Scale, media_root: Path, log=print) -> Dataset:
    """Migrate, then load the bench data unless this scale's data is already there."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    recording = media_root / RECORDING_NAME
    t0 = time.perf_counter()
    make_recording(recording)
    if time.perf_counter() - t0 > 1:
        log(f"  made a {recording.stat().st_size / 1e6:.1f} MB mp3 in {time.perf_counter() - t0:.1f}s")

    with psycopg.connect(url, autocommit=True) as conn, conn.cursor() as cur:
        found = _existing(cur, scale)
        if found:
            log(f"  reusing loaded data ({scale.calls_a:,} + {scale.calls_b:,} calls)")
            return Dataset(**_summary(cur, *found, recording), loaded=False, load_seconds=0.0,
                           rows_per_second=0.0, mb_per_second=0.0)  # fmt: skip
        log(f"  loading {scale.calls_a:,} + {scale.calls_b:,} calls with COPY …")
        started = time.perf_counter()
        # One transaction from TRUNCATE to the last COPY, so COPY can FREEZE: rows go in frozen and
        # their pages all-visible, as a VACUUM (36 s at 200k calls) would leave them for index-only scans.
        with conn.transaction():
            fids, indexes, rows, size = _copy_all(cur, scale)
        copied = time.perf_counter() - started
        log(f"  COPY: {rows:,} rows, {size / 1e6:.0f} MB of transcripts in {copied:.1f}s")
        # Before its indexes: with the full-text one in place, ANALYZE would also sample that index's
        # expression, to_tsvector over 30,000 transcripts (15 s), which no benchmarked query needs.
        cur.execute("ANALYZE calls_call")
        # The full-text GIN index over the transcripts takes longer than everything else together
        # (125 s at 200k calls) and PostgreSQL builds it on one core: on a second connection, beside the rest.
        slow = [(name, ddl) for name, ddl in indexes if " USING gin " in ddl]
        with ThreadPoolExecutor(max_workers=1) as pool:
            gin = pool.submit(_create_indexes, url, slow, log)
            _create_indexes(url, [x for x in indexes if x not in slow], log)
            _add_relations(cur, recording)
            cur.execute(
                "ANALYZE calls_recording, contacts_contact, contacts_contactphone, contacts_contact_tags, "
                "contacts_contact_locations, contacts_tag, franchises_franchise, franchises_location"
            )
            gin.result()
        total = time.perf_counter() - started
        log(f"  indexes, recordings, contacts' phones and ANALYZE: {total - copied:.1f}s")
        return Dataset(
            **_summary(cur, fids["Bench A"], fids["Bench B"], recording),
            loaded=True,
            load_seconds=round(total, 1),
            rows_per_second=round(rows / copied),
            mb_per_second=round(size / 1e6 / copied, 1),
        )
