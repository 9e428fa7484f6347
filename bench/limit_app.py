"""The "limit": the practical ceiling for Python + PostgreSQL serving `/data/calls`.

A bare WSGI callable, a psycopg pool, the same keyset SQL as the product (franchise, timestamp desc,
id desc, page_size + 1 rows) and orjson, producing the spec's response shape. No framework, no
auth, no rate limit, no cursor signing: whatever the product spends beyond this is its overhead.
The franchise comes from `?franchise_id=` since there is no token. Run it with gunicorn:
`DATABASE_URL=… gunicorn bench.limit_app:application`.
"""

from __future__ import annotations

import base64
import os
from urllib.parse import parse_qs

import orjson
from psycopg_pool import ConnectionPool

SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
COLUMNS = (
    "c.id, c.conversation_id, c.caller_id, c.timestamp, c.duration, c.agent_type, c.call_category, "
    "c.customer_name, c.customer_email, c.call_summary, c.loss_type, c.referral_source, c.notes, "
    "c.property_area, c.request_type, c.service_location, c.callback_number, c.location_id, l.name, "
    "c.transcript, c.real_estate_address, c.real_estate_last_sale_value, c.real_estate_current_value, "
    "c.real_estate_owner_name1, c.real_estate_owner_name2, c.real_estate_room_count, "
    "c.real_estate_square_footage, c.real_estate_year_built"
)
_pool: ConnectionPool | None = None


def pool() -> ConnectionPool:
    # Opened lazily so each gunicorn worker gets its own connections after the fork.
    global _pool
    if _pool is None:
        _pool = ConnectionPool(
            os.environ["DATABASE_URL"], min_size=2, max_size=8, kwargs={"options": "-c TimeZone=UTC"}, open=True
        )
    return _pool


def _cursor_out(ts, pk: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"t": ts.isoformat(), "i": pk})).decode().rstrip("=")


def _cursor_in(text: str) -> tuple[str, int]:
    data = orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    return data["t"], int(data["i"])


def _call(r: tuple) -> dict:
    conv = r[1]
    return {
        "conversation_id": conv,
        "caller_id": r[2],
        "timestamp": r[3],
        "duration": str(r[4]),
        "agent_type": r[5],
        "call_category": r[6],
        "customer_name": r[7],
        "customer_email": r[8],
        "call_summary": r[9],
        "loss_type": r[10],
        "referral_source": r[11],
        "notes": r[12],
        "property_area": r[13],
        "request_type": r[14],
        "service_location": r[15],
        "callback_number": r[16],
        "location_id": r[17],
        "location": r[18],
        "transcript": r[19],
        "real_estate": {
            "address": r[20],
            "last_sale_value": r[21],
            "current_value": r[22],
            "owner_name1": r[23],
            "owner_name2": r[24],
            "room_count": r[25],
            "square_footage": r[26],
            "year_built": r[27],
        },
        "recording_url": f"{SITE_URL}/data/recordings/{conv}",
        "recording_breesy_url": f"{SITE_URL}/insights?tab=calldata&callId=conv_{conv}",
    }


def _phone(raw: str) -> str:
    digits = "".join(ch for ch in raw if ch.isdigit())
    return "+1" + digits if len(digits) == 10 else "+" + digits


def calls(params: dict[str, str]) -> bytes:
    franchise = params["franchise_id"]
    location = params.get("location_id")
    size = int(params.get("page_size", 100))
    where, args = ["c.franchise_id = %s"], [franchise]
    if location:
        where.append("c.location_id = %s")
        args.append(location)
    if "start_date" in params:
        where.append("c.timestamp >= %s")
        args.append(params["start_date"])
    if "end_date" in params:
        where.append("c.timestamp <= %s")
        args.append(params["end_date"])
    if "phone" in params:
        phone = _phone(params["phone"])
        where.append("(c.caller_id_e164 = %s OR c.callback_number_e164 = %s OR c.customer_phone_e164 = %s)")
        args += [phone, phone, phone]
    if "cursor" in params:
        where.append("(c.timestamp, c.id) < (%s, %s)")
        args += list(_cursor_in(params["cursor"]))
    sql = (
        f"SELECT {COLUMNS} FROM calls_call c LEFT JOIN franchises_location l ON l.id = c.location_id "
        f"WHERE {' AND '.join(where)} ORDER BY c.timestamp DESC, c.id DESC LIMIT %s"
    )
    with pool().connection() as conn:
        rows = conn.execute(sql, [*args, size + 1], prepare=True).fetchall()
    more = len(rows) > size
    rows = rows[:size]
    return orjson.dumps(
        {
            "scope": {"franchise_id": franchise, "location_id": location},
            "pagination": {
                "page_size": size,
                "has_more": more,
                "next_cursor": _cursor_out(rows[-1][3], rows[-1][0]) if more else None,
            },
            "calls": [_call(r) for r in rows],
        }
    )


def application(environ, start_response):
    params = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if environ.get("PATH_INFO") != "/data/calls" or "franchise_id" not in params:
        start_response("404 Not Found", [("Content-Type", "application/json")])
        return [b'{"detail":"Not found"}']
    body = calls(params)
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
