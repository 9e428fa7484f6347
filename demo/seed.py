"""Demo data: one franchise with two locations, a few hundred calls with real audio, contacts, tags
and a staff login. Idempotent: running it again updates the same rows (same conversation ids, the
same contacts found by phone) instead of adding more.

The audio is five short dialogues made once with espeak-ng (`demo/make_audio.py`); each demo
call reuses one of them, with that dialogue's turns and start times as its transcript.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from calls.models import Call
from calls.services import calls_import
from calls.triage import call_state_set
from contacts.services import contact_upsert
from franchises.models import Franchise, Location, Membership
from franchises.roles import staff_user_add

DEMO_DIR = Path(__file__).resolve().parent
FRANCHISE_NAME = "Breesy Demo Restoration"
LOCATIONS = ("North Branch", "South Branch")
DEMO_USERNAME = "demo"

# What each recording is about, in the Data Share call shape (minus the per-call caller fields).
DIALOGUE_CALLS: dict[str, dict] = {
    "burst_pipe": {
        "call_category": "new_urgent_service_request",
        "request_type": "INITIAL_SERVICE_REQUEST",
        "loss_type": "Water",
        "property_area": "Basement",
        "call_summary": "Pipe burst in the basement; caller shut off the main valve, carpet soaked, "
        "nobody hurt. Technician to be dispatched first thing in the morning.",
        "notes": "Caller requested a morning callback.",
        "weight": 35,
    },
    "job_update": {
        "call_category": "existing_job_update",
        "request_type": "JOB_STATUS",
        "loss_type": "Water",
        "property_area": "Kitchen",
        "call_summary": "Existing drying job in the kitchen: caller asked when the crew returns. "
        "Moisture readings planned tomorrow afternoon.",
        "notes": "Call the customer 30 minutes before arrival.",
        "weight": 20,
    },
    "estimate": {
        "call_category": "estimate_request",
        "request_type": "ESTIMATE",
        "loss_type": "Mold",
        "property_area": "Bathroom",
        "call_summary": "Mold behind the bathroom wall near the shower, about 4 by 6 feet. "
        "Estimator to call and book a free inspection this week.",
        "notes": None,
        "weight": 20,
    },
    "billing": {
        "call_category": "billing_question",
        "request_type": "BILLING",
        "loss_type": None,
        "property_area": None,
        "call_summary": "Invoice question: insurance says part of it was already paid (claim 4471). "
        "Billing team to match the payment and call back.",
        "notes": "Insurance claim 4471.",
        "weight": 12,
    },
    "spam": {
        "call_category": "spam",
        "request_type": None,
        "loss_type": None,
        "property_area": None,
        "call_summary": "Marketing robocall; asked to be removed from their list.",
        "notes": None,
        "weight": 13,
    },
}
AGENT_TYPES = ("afterhours", "afterhours", "overflow", "receptionist")
FIRST_NAMES = [
    "Jordan",
    "Avery",
    "Morgan",
    "Casey",
    "Riley",
    "Taylor",
    "Jamie",
    "Quinn",
    "Drew",
    "Reese",
    "Rowan",
    "Skyler",
    "Parker",
    "Hayden",
    "Emerson",
    "Dakota",
    "Finley",
    "Harper",
    "Logan",
    "Sawyer",
]
LAST_NAMES = [
    "Smith",
    "Johnson",
    "Garcia",
    "Miller",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Moore",
    "Martin",
    "Lee",
    "Walker",
    "Hall",
]
STREETS = ["Main St", "Oak Ave", "Maple Dr", "Cedar Ln", "Lakeview Rd", "Elm St", "Park Blvd", "Hillcrest Ct"]
CITIES = (("Springfield", "IL", "62704"), ("Naperville", "IL", "60540"), ("Evanston", "IL", "60201"))
REFERRALS = ("Google", "Insurance agent", "Neighbor", "Yelp", "Repeat customer", "Facebook")


@dataclass
class DemoResult:
    franchise: Franchise
    calls: int
    contacts: int
    username: str
    password: str

    def login_line(self) -> str:
        return demo_login_line(self.username, self.password)


def demo_password() -> str:
    """The demo login's password: derived from SECRET_KEY, so every install has its own, and
    `demo_login` can print it again without storing it anywhere."""
    return salted_hmac("breesy.demo_login", DEMO_USERNAME).hexdigest()[:16]


def demo_login_line(username: str, password: str) -> str:
    return f"Demo login: {username} / {password} (owner of {FRANCHISE_NAME})"


def _people(rng: random.Random, count: int) -> list[dict]:
    people = []
    for i in range(count):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        city, state, postal = rng.choice(CITIES)
        area = rng.choice(("312", "773", "630", "847"))
        people.append(
            {
                "first_name": first,
                "last_name": last,
                "phone": f"+1{area}555{1000 + i:04d}",
                "alternate": f"+1{area}555{5000 + i:04d}" if i % 7 == 0 else None,
                "email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "street": f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
                "city": city,
                "state": state,
                "postal": postal,
                "referral": rng.choice(REFERRALS),
                "location": LOCATIONS[i % 2],
                "is_business": i % 11 == 0,
            }
        )
    if count > 2:
        # An obvious duplicate to merge on the contact page: the last person is the second one again,
        # same name and address, known by another phone and email (as a second call-in would make).
        twin, first = people[-1], people[1]
        twin.update({key: first[key] for key in ("first_name", "last_name", "street", "city", "state", "postal")})
        twin.update(
            email=f"{first['first_name'].lower()}{first['last_name'][0].lower()}@example.net", is_business=False
        )
    return people


def _call_line(rng: random.Random, n: int, now: datetime, people: list[dict], dialogues: dict) -> dict:
    names = list(DIALOGUE_CALLS)
    name = rng.choices(names, weights=[DIALOGUE_CALLS[k]["weight"] for k in names])[0]
    template, dialogue = DIALOGUE_CALLS[name], dialogues[name]
    when = now - timedelta(minutes=rng.randint(5, 28 * 24 * 60))
    turns = dialogue["turns"]
    call = {
        "conversation_id": f"CAdemo{n:026x}",
        "timestamp": when.isoformat(),
        "duration": str(dialogue["duration"]),
        "agent_type": rng.choice(AGENT_TYPES),
        "call_summary": template["call_summary"],
        "call_category": template["call_category"],
        "request_type": template["request_type"],
        "loss_type": template["loss_type"],
        "property_area": template["property_area"],
        "notes": template["notes"],
        "transcript": " ".join(f"{t['speaker'].capitalize()}: {t['text']}" for t in turns),
        "transcript_turns": turns,
        "recording_file": dialogue["file"],
    }
    if name == "spam":
        call.update(caller_id=f"+1800555{rng.randint(0, 9999):04d}", location=rng.choice(LOCATIONS))
        return call
    person = people[rng.randrange(len(people))]
    address = f"{person['street']}, {person['city']}"
    year = rng.randint(1950, 2015)
    call.update(
        caller_id=person["phone"],
        callback_number=person["alternate"] or person["phone"],
        customer_name=f"{person['first_name']} {person['last_name']}",
        customer_email=person["email"],
        referral_source=person["referral"],
        service_location=address,
        location=person["location"],
        real_estate={
            "address": address,
            "last_sale_value": str(rng.randrange(180_000, 650_000, 5_000)),
            "current_value": str(rng.randrange(220_000, 780_000, 5_000)),
            "owner_name1": f"{person['first_name']} {person['last_name']}",
            "owner_name2": None,
            "room_count": str(rng.randint(4, 11)),
            "square_footage": str(rng.randrange(900, 3800, 50)),
            "year_built": str(year),
        },
    )
    person["calls"] = person.get("calls", 0) + 1
    person.setdefault("categories", set()).add(template["call_category"])
    return call


def _triage(franchise: Franchise, now: datetime) -> None:
    """Where the demo's calls stand, as after weeks of work: spam not needed, older calls booked,
    reviewed or called back, some of the last days' waiting for a call-back, today's still new. Only
    calls still new are touched, so seeding again keeps what someone has changed since."""
    rng = random.Random(20261201)
    State = Call.State
    plan: dict[tuple[str, str], list[str]] = {}
    rows = Call.objects.filter(franchise=franchise, state=State.NEW).order_by("conversation_id")
    for conversation_id, moment, category in rows.values_list("conversation_id", "timestamp", "call_category"):
        age = now - moment
        if category == "spam":
            target = (State.NOT_NEEDED, "spam")
        elif age < timedelta(days=1):
            continue
        elif age < timedelta(days=5):
            target = (rng.choice([State.NEEDS_CALLBACK, State.NEEDS_CALLBACK, State.REVIEWED, State.NEW]), "")
        else:
            target = (rng.choice([State.BOOKED, State.BOOKED, State.REVIEWED, State.CALLED_BACK]), "")
        plan.setdefault(target, []).append(conversation_id)
    for (state, reason), ids in plan.items():
        if state != State.NEW:
            calls = Call.objects.filter(franchise=franchise, conversation_id__in=ids)
            call_state_set(calls=calls, state=state, reason=reason)


def demo_seed(*, calls: int = 300, contacts: int = 60, now: datetime | None = None) -> DemoResult:
    """Create or refresh the demo franchise, its calls (with recordings), contacts, tags and login."""
    rng = random.Random(20260622)  # the same people, phones and calls on every run
    now = now or timezone.now()
    dialogues = json.loads((DEMO_DIR / "dialogues.json").read_text())
    with transaction.atomic():
        franchise, _ = Franchise.objects.get_or_create(
            name=FRANCHISE_NAME, defaults={"timezone": "America/Chicago", "phone_region": "US"}
        )
        for name in LOCATIONS:
            Location.objects.get_or_create(franchise=franchise, name=name)
        locations = {loc.name: loc for loc in franchise.locations.all()}

        people = _people(rng, contacts)
        lines = [json.dumps(_call_line(rng, n, now, people, dialogues)) for n in range(calls)]
        result = calls_import(franchise=franchise, lines=lines, base_dir=DEMO_DIR)
        if result.errors:
            raise RuntimeError(f"demo calls did not import: {result.errors[:3]}")
        _triage(franchise, now)

        for person in people:
            tags = []
            if person.get("calls", 0) > 1:
                tags.append("Repeat Customer")
            if "billing_question" in person.get("categories", ()):
                tags.append("Insurance Claim")
            if "new_urgent_service_request" in person.get("categories", ()):
                tags.append("Water Damage")
            if person["is_business"]:
                tags.append("Commercial")
            if person.get("calls", 0) >= 4:
                tags.append("VIP")
            if not person.get("calls"):
                tags.append("New Lead")
            contact_upsert(
                franchise=franchise,
                locations=[locations[person["location"]].pk],
                primary_phone=person["phone"],
                alternate_phones=[person["alternate"]] if person["alternate"] else [],
                tags=tags,
                primary_contact_tags=["VIP"] if "VIP" in tags else [],
                first_name=person["first_name"],
                last_name=person["last_name"],
                organization_name=f"{person['last_name']} Properties LLC" if person["is_business"] else None,
                is_business=person["is_business"],
                primary_email=person["email"],
                referred_by=person["referral"],
                addr_line1=person["street"],
                addr_city=person["city"],
                addr_state=person["state"],
                addr_postal=person["postal"],
                addr_country="US",
                lifetime_value=rng.randrange(0, 25_000, 250) if person.get("calls") else None,
                is_verified=person.get("calls", 0) > 0,
                notes="Prefers morning calls." if rng.random() < 0.3 else None,
            )

        password = demo_password()
        user = User.objects.filter(username=DEMO_USERNAME).first()
        staff_user_add(
            username=DEMO_USERNAME,
            franchise=franchise,
            role=Membership.Role.OWNER,
            # Keep a password someone has since changed; only a new user gets the derived one.
            password=password if user is None else None,
        )
    return DemoResult(franchise, result.imported, len(people), DEMO_USERNAME, password)
