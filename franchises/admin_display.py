"""How the admin shows franchise data to people: times in the franchise's own zone, named; stored
slugs (`new_urgent_service_request`) in words; a link from a row to its staff page."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils import dateformat
from django.utils.html import format_html

from franchises.models import Franchise
from franchises.text import in_words


def franchise_time(value: datetime | None, tz: ZoneInfo) -> str:
    """`value` in the zone `tz`, with the zone's name: "Jun 22, 2026, 1:04 PM CDT (America/Chicago)"."""
    if value is None:
        return "—"
    local = value.astimezone(tz)
    return f"{dateformat.format(local, 'M j, Y, g:i A T')} ({tz.key})"


def local_time_column(name: str, verbose_name: str, franchise_of) -> object:
    """A change-list column showing the datetime field `name` in the zone of the row's franchise
    (`franchise_of(row)`), sortable by the field."""

    @admin.display(description=verbose_name, ordering=name)
    def column(obj: models.Model) -> str:
        franchise = franchise_of(obj)
        value = getattr(obj, name)
        if franchise is None or value is None:
            return admin.site.empty_value_display if value is None else str(value)
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), franchise_time(value, franchise.tzinfo))

    column.__name__ = f"local_{name}"
    return column


class InWordsFilter(admin.AllValuesFieldListFilter):
    """The field's stored values as choices, shown in words (the link still filters by the value)."""

    def choices(self, changelist):
        for n, choice in enumerate(super().choices(changelist)):
            if n and choice["display"] != self.empty_value_display:  # the first is "All"
                choice = {**choice, "display": in_words(str(choice["display"]))}
            yield choice


def staff_page_link(franchise: Franchise | object, path: str) -> str:
    """A URL that opens the staff page `path` inside `franchise` (switching to it, for those who may)."""
    franchise_id = franchise.pk if isinstance(franchise, Franchise) else franchise
    return f"{reverse('franchises:open', args=[franchise_id])}?{urlencode({'next': path})}"


def presence_filter(title: str, absent: str, present: str) -> type[admin.EmptyFieldListFilter]:
    """Django's "Empty / Not empty" filter, saying what it means ("Without a recording", ...)."""

    class PresenceFilter(admin.EmptyFieldListFilter):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.title = title

        def choices(self, changelist):
            for choice, label in zip(super().choices(changelist), (None, absent, present), strict=True):
                if label:
                    count = re.search(r" \(\d+\)$", str(choice["display"]))  # shown with facets
                    choice = {**choice, "display": label + (count.group() if count else "")}
                yield choice

    return PresenceFilter
