"""The dialer's panels on other apps' pages: a contact's dial history and the dashboard's
speed-to-lead. Those pages' templates load these tags; their Python never imports the dialer
(the layers point one way), and the panels are rendered with the page, so they read without
JavaScript."""

from __future__ import annotations

from django import template

from contacts.models import Contact
from dialer.models import DialCall
from dialer.queries import speed_to_lead
from franchises.models import Franchise

register = template.Library()

HISTORY_ROWS = 50


@register.inclusion_tag("dialer/_dial_history.html")
def dial_history(contact: Contact) -> dict:
    """The contact's dial calls, newest first (the page has already checked the contact is the
    signed-in franchise's)."""
    calls = DialCall.objects.filter(contact=contact).select_related("session").order_by("-started_at", "-id")
    return {"contact": contact, "dial_calls": list(calls[:HISTORY_ROWS])}


@register.inclusion_tag("dialer/_speed_to_lead.html")
def speed_to_lead_panel(franchise: Franchise) -> dict:
    speeds = speed_to_lead(franchise)
    return {"overall": speeds[0], "locations": speeds[1:], "days": 30}


@register.filter
def minutes(value: float | None) -> str:
    """A wait in minutes as people say it: "4 min", "2 h 5 min", "3 d 4 h"."""
    if value is None:
        return "—"
    total = round(value)
    if total < 60:
        return f"{total} min"
    hours, mins = divmod(total, 60)
    if hours < 24:
        return f"{hours} h {mins} min" if mins else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


@register.filter
def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"
