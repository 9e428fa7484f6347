"""The staff's call search: what a query matches, the same on SQLite and PostgreSQL.

A query is words and phone fragments. A call matches when every one of them matches (in any order):
- a word matches the call's text (transcript, summary, caller's name, notes) where the word, its
  singular (pipes → pipe) or its stem (flooding → flood), appears, or, for a stem of six letters or
  more, the same within one typo (a letter changed, missing, extra, or two swapped: basment, basemnet);
- a phone fragment ("555-1023", "(312) 555", "5551023": three digits or more, with any spaces,
  dashes, dots or brackets) matches a call whose caller id, callback number or customer phone
  contains those digits, or whose text contains the fragment as typed.

Each word becomes a handful of LIKE patterns (`_` standing for any one letter) that both databases
run alike; PostgreSQL answers them from a trigram index on the very text expression (calls
migration 0007). The same patterns, as regular expressions, mark the matches on the pages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.db.models import BooleanField, F, Func, Q, TextField, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# The text a word is looked for in, joined by spaces, in this order (the index's expression).
TEXT_FIELDS = ("transcript", "call_summary", "customer_name", "notes")
PHONE_FIELDS = ("caller_id_e164", "callback_number_e164", "customer_phone_e164")

PHONE_FRAGMENT = re.compile(r"\+?\(?\d[\d\s().\-]*\d\)?")
WORD = re.compile(r"[^\W_]+")
MIN_PHONE_DIGITS = 3
MIN_TYPO_LENGTH = 6  # shorter words within one typo of a substring find too much (flood → floor)
MAX_TERMS = 8  # a pasted paragraph searches by its first words, not by hundreds of patterns


class OrEmpty(Func):
    """`COALESCE(text, '')`, the '' written into the SQL (not a parameter): the index's expression
    must be the query's to the letter, and PostgreSQL binds parameters on the server here."""

    template = "COALESCE(%(expressions)s, '')"
    output_field = TextField()


class SearchText(Func):
    """The call's searchable text: `COALESCE(transcript, '') || ' ' || ...` (migration 0007 indexes
    exactly this on PostgreSQL)."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(*(OrEmpty(F(name)) for name in TEXT_FIELDS))


class PhoneText(Func):
    """The call's normalised phones in one text, `COALESCE(caller_id_e164, '') || ' ' || ...`, so one
    trigram index (calls migration 0009) answers a phone fragment on PostgreSQL."""

    arg_joiner = " || ' ' || "
    template = "(%(expressions)s)"
    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(*(OrEmpty(F(name)) for name in PHONE_FIELDS))


class Like(Func):
    """`text LIKE pattern`, case-insensitive, with `%` and `_` as wildcards (Django's `contains`
    escapes them). SQLite's LIKE ignores case already; PostgreSQL's ILIKE is what pg_trgm serves."""

    arg_joiner = " LIKE "
    template = "(%(expressions)s)"
    output_field = BooleanField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, arg_joiner=" ILIKE ", **extra)


@dataclass(frozen=True)
class Term:
    """One word or phone fragment of a query, and how it is found."""

    text: str
    patterns: tuple[str, ...] = ()  # LIKE patterns (without the surrounding %) of a word
    digits: str = ""  # of a phone fragment

    def q(self) -> Q:
        """The calls this term matches (on the `search_text` alias, see `matching`)."""
        if self.digits:
            # The fragment is digits and separators only: nothing in it is a LIKE wildcard.
            return self.phone_q() | Q(Like(F("search_text"), Value(f"%{self.text}%")))
        return reduce(or_, (Q(Like(F("search_text"), Value(f"%{p}%"))) for p in self.patterns))

    def phone_q(self) -> Q:
        """The calls with a phone containing this fragment's digits."""
        return Q(Like(PhoneText(), Value(f"%{self.digits}%")))

    def regex(self) -> str:
        """The term as a regular expression over displayed text: the whole word around a match, or
        the digits with any separators between them."""
        if self.digits:
            return r"[\s().\-]*".join(self.digits)
        alternatives = "|".join(p.replace("_", r"\w") for p in sorted(self.patterns, key=len, reverse=True))
        return rf"\w*(?:{alternatives})\w*"


def terms(query: str) -> list[Term]:
    """The words and phone fragments of `query`, at most MAX_TERMS of them."""
    found: list[Term] = []
    rest = query
    for match in PHONE_FRAGMENT.finditer(query):
        digits = re.sub(r"\D", "", match.group())
        if len(digits) >= MIN_PHONE_DIGITS:
            found.append(Term(text=match.group().strip().lower(), digits=digits))
            rest = rest.replace(match.group(), " ", 1)
    words = [w for w in dict.fromkeys(WORD.findall(rest.lower())) if len(w) > 1 and all(t.text != w for t in found)]
    # A short word ("in", "no", "dr") beside longer ones says little; alone, it is looked for as it is.
    longer = [w for w in words if _variants(w)]
    found += [Term(text=w, patterns=_variants(w) or (w,)) for w in longer or words]
    return found[:MAX_TERMS]


def matching(qs, query: str):
    """`qs` narrowed to the calls every term of `query` matches."""
    wanted = terms(query)
    if not wanted:
        return qs
    qs = qs.alias(search_text=SearchText())
    for term in wanted:
        qs = qs.filter(term.q())
    return qs


def highlighter(query: str) -> re.Pattern | None:
    """One regular expression marking what `query` matches in a text; None for an empty query."""
    wanted = terms(query)
    return re.compile("|".join(f"(?:{t.regex()})" for t in wanted), re.IGNORECASE) if wanted else None


def highlight(text: str | None, pattern: re.Pattern | None) -> SafeString:
    """`text`, escaped, with each match of `pattern` in <mark>."""
    text = text or ""
    if pattern is None:
        return escape(text)
    parts, last = [], 0
    for match in pattern.finditer(text):
        if match.end() > match.start():
            parts += [escape(text[last : match.start()]), "<mark>", escape(match.group()), "</mark>"]
            last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # noqa: S308 — every piece of text above is escaped


def _stem(word: str) -> str:
    """A plain English stem, enough for plurals and -ing/-ed forms: pipes → pipe, boxes → box,
    batteries → batter(y), flooding → flood, damaged → damag(e). Short words stay as they are."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, keep in (("ies", 4), ("ing", 4), ("ed", 4)):
        if word.endswith(suffix) and len(word) - len(suffix) >= keep - 1:
            return word[: -len(suffix)]
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _variants(word: str) -> tuple[str, ...]:
    """LIKE patterns for the word's stem and, from MIN_TYPO_LENGTH letters, its one-typo forms."""
    stem = _stem(word)
    found = {stem}
    if len(stem) >= MIN_TYPO_LENGTH:
        n = len(stem)
        for i in range(n):
            found.add(stem[:i] + "_" + stem[i + 1 :])  # a letter typed wrong
            found.add(stem[:i] + stem[i + 1 :])  # a letter typed too many
            if i > 0:
                found.add(stem[:i] + "_" + stem[i:])  # a letter left out
            if i < n - 1:
                found.add(stem[:i] + stem[i + 1] + stem[i] + stem[i + 2 :])  # two letters swapped
    # A pattern another one contains adds nothing (`%pipe%` already finds what `%pipe_%` would).
    useful = {p for p in found if len(p.replace("_", "")) >= 3}
    return tuple(sorted(p for p in useful if not any(o != p and _like_contains(p, o) for o in useful)))


def _like_contains(pattern: str, other: str) -> bool:
    """True when every text matching `%pattern%` also matches `%other%`: `other` is found in
    `pattern`, its `_` standing for any letter, while a `_` of `pattern` only matches a `_` of `other`."""
    return re.search(re.escape(other).replace("_", "."), pattern.replace("_", "\0")) is not None
