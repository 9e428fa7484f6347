"""Shared pieces of the management commands: how a FRANCHISE argument is read."""

from __future__ import annotations

import uuid

from django.core.management.base import CommandError

from franchises.models import Franchise


def franchise_from_arg(value: str) -> Franchise:
    """The franchise named by `value`: its uuid, or else its exact name. CommandError if none."""
    value = (value or "").strip()
    try:
        franchise = Franchise.objects.filter(pk=uuid.UUID(value)).first()
    except ValueError:
        franchise = None
    franchise = franchise or Franchise.objects.filter(name=value).first()
    if franchise is None:
        raise CommandError(f"No franchise with id or name {value!r}")
    return franchise
