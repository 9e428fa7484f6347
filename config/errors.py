"""Errors the domain raises, and small input readers every layer shares.

Services and queries raise these in the operator's words; the composition root (`config/api.py`)
maps each kind to an HTTP status once, and the staff pages show their message. Lower layers import
them from here because `config` plumbing imports no app.
"""

from __future__ import annotations

import uuid


class DomainError(Exception):
    """A rule of the domain refused the input. `code` is the machine-readable name of the rule."""

    code = "invalid"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """The object asked for does not exist in the caller's franchise (or belongs to another one)."""

    code = "not_found"


class Conflict(DomainError):
    """The input is valid but clashes with what is stored (e.g. a phone owned by another contact)."""

    code = "conflict"


class PreconditionFailed(DomainError):
    """The client's condition on the write (an If-Match version) no longer holds: someone else
    changed the object since the client read it. Nothing was written."""

    code = "precondition_failed"


class BadFilter(DomainError, ValueError):
    """A filter value the client sent cannot be read; the message says which and why."""

    code = "invalid_parameter"


def parse_uuid(value: str | None, *, name: str) -> uuid.UUID | None:
    """`value` as a UUID (None when empty); BadFilter naming `name` when it is not one."""
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise BadFilter(f"{name} must be a UUID, got {value!r}") from None
