"""Response shapes shared by every Data Share API operation (documentation: rows are built directly)."""

from __future__ import annotations

from ninja import Schema


class Error(Schema):
    detail: str
    code: str


class Pagination(Schema):
    page_size: int
    has_more: bool
    next_cursor: str | None


ERRORS = {400: Error, 401: Error, 429: Error}
