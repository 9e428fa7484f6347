"""What staff add to a call while reviewing it: comments at moments of the recording, and a
corrected category."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from calls.models import Call, CallComment
from config.errors import DomainError


class BadCategory(DomainError):
    """A category the franchise's calls do not use."""

    code = "invalid_category"


def call_comment_add(*, call: Call, author: AbstractBaseUser, text: str, at: int | None = None) -> CallComment:
    """Keep a comment on `call`, at second `at` of its recording (None: on the whole call)."""
    return CallComment.objects.create(call=call, author=author, text=text.strip(), at=at)


def call_category_set(*, call: Call, category: str, known: list[str]) -> bool:
    """Correct the call's category to one of the franchise's `known` categories. True if it changed."""
    if category not in known:
        raise BadCategory(f"{category!r} is not one of this franchise's call categories")
    if call.call_category == category:
        return False
    call.call_category = category
    call.updated_at = timezone.now()
    call.save(update_fields=["call_category", "updated_at"])
    return True
