"""Figures for the staff dashboard: the franchise's calls over a period of whole days in its time
zone, beside the period before it. Each figure carries the call list's filters for its calls, so the
dashboard links every bar and card to exactly the calls it counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from calls.models import Call
from calls.queries import AFTER_HOURS, OPEN_FROM, OPEN_UNTIL, local_clock
from franchises.models import Franchise

PRESET_DAYS = (7, 30, 90)
MAX_DAYS = 366  # a custom period: a year of daily bars at most
State = Call.State
# The triage counts, in the order a call moves; the first two are what an owner acts on.
STATE_CARDS = (
    (State.NEEDS_CALLBACK, "Waiting for a call-back"),
    (State.BOOKED, "Booked"),
    (State.NEW, "New"),
    (State.REVIEWED, "Reviewed"),
    (State.CALLED_BACK, "Called back"),
    (State.NOT_NEEDED, "Not needed"),
)


@dataclass(frozen=True)
class Period:
    """Whole days `first` to `last` (both included) in the franchise's zone; `preset` is 7, 30 or 90
    for "the last N days", None for a custom period."""

    first: date
    last: date
    preset: int | None = None

    @classmethod
    def last_days(cls, days: int, today: date) -> Period:
        return cls(today - timedelta(days=days - 1), today, preset=days)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def previous(self) -> Period:
        """The as-long period just before this one."""
        return Period(self.first - timedelta(days=self.days), self.first - timedelta(days=1))

    def bounds(self, franchise: Franchise) -> tuple[datetime, datetime]:
        """[start, end) as instants: midnight to midnight in the franchise's zone."""
        tz = franchise.tzinfo
        start = datetime.combine(self.first, time.min, tzinfo=tz)
        return start, datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=tz)

    def calls_url(self, **filters: object) -> str:
        """The call list showing this period's calls narrowed by `filters` (its query-string names)."""
        query = {"start": self.first.isoformat(), "end": self.last.isoformat(), **filters}
        return f"{reverse('calls:list')}?{urlencode(query)}"


@dataclass
class Bar:
    label: str
    value: int
    url: str = ""  # the call list with exactly these calls; empty where no filter can say it
    share: float = 0.0  # of the largest bar, 0–100, for drawing


@dataclass
class Change:
    """A figure beside the same figure over the previous period; `points` for a share in percent."""

    now: int
    before: int
    points: bool = False

    @property
    def direction(self) -> str:
        return "up" if self.now > self.before else "down" if self.now < self.before else "same"

    @property
    def text(self) -> str:
        """ "up 20% from 25", "down 4 points from 30%", "same as before": in words, not colours."""
        if self.direction == "same":
            return "same as before"
        if self.points:
            return f"{self.direction} {abs(self.now - self.before)} points from {self.before}%"
        if not self.before:
            return f"up from {self.before}"
        return f"{self.direction} {abs(round(100 * (self.now - self.before) / self.before))}% from {self.before}"


@dataclass
class Totals:
    """Counts over one period: calls, after hours, with a recording, and in each triage state."""

    total: int = 0
    after_hours: int = 0
    with_recording: int = 0
    states: dict[str, int] = field(default_factory=dict)

    @property
    def after_hours_share(self) -> int:
        return round(100 * self.after_hours / self.total) if self.total else 0


@dataclass
class StateCount:
    state: str
    label: str
    value: int
    url: str
    change: Change


@dataclass
class DashboardStats:
    period: Period
    now: Totals
    before: Totals
    median_duration: int | None = None
    per_day: list[Bar] = field(default_factory=list)
    by_hour: list[Bar] = field(default_factory=list)
    by_category: list[Bar] = field(default_factory=list)
    by_location: list[Bar] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.now.total

    @property
    def total_change(self) -> Change:
        return Change(self.now.total, self.before.total)

    @property
    def after_hours_change(self) -> Change:
        return Change(self.now.after_hours_share, self.before.after_hours_share, points=True)

    @property
    def after_hours_rule(self) -> str:
        return f"before {hour_label(OPEN_FROM)} or from {hour_label(OPEN_UNTIL)} on weekdays, and weekends"

    @property
    def after_hours_url(self) -> str:
        return self.period.calls_url(after_hours="yes")

    @property
    def recordings_url(self) -> str:
        return self.period.calls_url(has_recording="yes")

    @property
    def recording_share(self) -> int:
        return round(100 * self.now.with_recording / self.now.total) if self.now.total else 0

    @property
    def states(self) -> list[StateCount]:
        return [
            StateCount(
                state,
                label,
                self.now.states.get(state, 0),
                self.period.calls_url(state=state),
                Change(self.now.states.get(state, 0), self.before.states.get(state, 0)),
            )
            for state, label in STATE_CARDS
        ]

    @property
    def per_day_max(self) -> int:
        return max((b.value for b in self.per_day), default=0)

    @property
    def by_hour_max(self) -> int:
        return max((b.value for b in self.by_hour), default=0)


def _scaled(bars: list[Bar]) -> list[Bar]:
    top = max((b.value for b in bars), default=0)
    for bar in bars:
        bar.share = round(100 * bar.value / top, 1) if top else 0.0
    return bars


def hour_label(hour: int) -> str:
    return f"{(hour - 1) % 12 + 1} {'AM' if hour < 12 else 'PM'}"


def _calls_in(franchise: Franchise, period: Period) -> QuerySet[Call]:
    start, end = period.bounds(franchise)
    return Call.objects.filter(franchise=franchise, timestamp__gte=start, timestamp__lt=end)


def _totals(qs: QuerySet[Call], franchise: Franchise) -> Totals:
    """One query: the period's calls, those after hours, with a recording, and in each state."""
    counts = qs.annotate(**local_clock(franchise.tzinfo)).aggregate(
        total=Count("id"),
        after_hours=Count("id", filter=AFTER_HOURS),
        with_recording=Count("recording"),
        **{f"state_{state}": Count("id", filter=Q(state=state)) for state in State.values},
    )
    states = {state: counts[f"state_{state}"] for state in State.values}
    return Totals(counts["total"], counts["after_hours"], counts["with_recording"], states)


def _top(qs: QuerySet[Call], *columns: str, limit: int = 8) -> list[tuple]:
    """The `limit` most frequent values of `columns` among `qs`, each row ending with its count,
    largest first."""
    rows = qs.values(*columns).annotate(n=Count("id")).order_by("-n", *columns)
    return list(rows.values_list(*columns, "n")[:limit])


def dashboard_stats(franchise: Franchise, period: Period) -> DashboardStats:
    """Calls of `period` per day (zero days included), by hour of day, by category and location, in
    each triage state, after hours, with a recording, their median length; and the previous period's
    totals to compare. Seven small queries."""
    tz = franchise.tzinfo
    qs = _calls_in(franchise, period)
    stats = DashboardStats(
        period, now=_totals(qs, franchise), before=_totals(_calls_in(franchise, period.previous), franchise)
    )
    days = [period.first + timedelta(days=i) for i in range(period.days)]
    hours = range(24)
    if not stats.now.total:
        stats.per_day = [Bar(f"{d:%b} {d.day}", 0, Period(d, d).calls_url()) for d in days]
        stats.by_hour = [Bar(hour_label(h), 0, period.calls_url(hour=h)) for h in hours]
        return stats
    per_day = dict(
        qs.annotate(day=TruncDate("timestamp", tzinfo=tz)).values("day").annotate(n=Count("id")).values_list("day", "n")
    )
    stats.per_day = _scaled([Bar(f"{d:%b} {d.day}", per_day.get(d, 0), Period(d, d).calls_url()) for d in days])
    per_hour = dict(
        qs.annotate(**local_clock(tz)).values("local_hour").annotate(n=Count("id")).values_list("local_hour", "n")
    )
    stats.by_hour = _scaled([Bar(hour_label(h), per_hour.get(h, 0), period.calls_url(hour=h)) for h in hours])
    stats.by_category = _scaled(
        [
            Bar(value or "Uncategorised", n, period.calls_url(category=value) if value else "")
            for value, n in _top(qs, "call_category")
        ]
    )
    stats.by_location = _scaled(
        [
            Bar(name or "No location", n, period.calls_url(location=str(pk)) if pk else "")
            for pk, name, n in _top(qs, "location_id", "location__name")
        ]
    )
    # The median by ORDER BY/OFFSET: one indexed-enough query on any database, no percentile function.
    stats.median_duration = qs.order_by("duration").values_list("duration", flat=True)[(stats.total - 1) // 2]
    return stats


def today_in(franchise: Franchise) -> date:
    return timezone.now().astimezone(franchise.tzinfo).date()
