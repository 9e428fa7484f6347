"""A call's transcript as turns (Agent / Caller) with the second each starts at, for the player."""

from __future__ import annotations

import re
from dataclasses import dataclass

from calls.models import Call

# "Agent: ... Caller: ..." as the voice-agent platform writes plain transcripts; a few synonyms
# seen in exports are read as the same two speakers.
SPEAKER = re.compile(r"(?:^|(?<=\s))(Agent|AI|Assistant|Bot|Caller|Customer|User)\s*:\s*", re.IGNORECASE)
AGENT_NAMES = {"agent", "ai", "assistant", "bot"}


@dataclass(frozen=True)
class Turn:
    """One speaker's turn; `approximate` when the start was estimated from the text's position."""

    index: int
    speaker: str  # "agent" | "caller"
    text: str
    start: float | None
    approximate: bool = False

    @property
    def speaker_label(self) -> str:
        return "Agent" if self.speaker == "agent" else "Caller"

    @property
    def clock(self) -> str:
        if self.start is None:
            return ""
        seconds = int(self.start)
        return f"{seconds // 60}:{seconds % 60:02d}"


def transcript_turns(call: Call) -> list[Turn]:
    """Turns from `transcript_turns` (exact starts) when the call has them, else parsed from the
    transcript text with starts estimated from each turn's position in the text (approximate)."""
    stored = [t for t in call.transcript_turns or [] if isinstance(t, dict) and str(t.get("text") or "").strip()]
    if stored:
        turns = []
        for i, t in enumerate(stored):
            start = t.get("start")
            start = float(start) if isinstance(start, int | float) and start >= 0 else None
            speaker = "agent" if str(t.get("speaker", "")).lower() in AGENT_NAMES else "caller"
            turns.append(Turn(i, speaker, str(t["text"]).strip(), start))
        return turns
    return _parse(call.transcript or "", call.duration or 0)


def _parse(text: str, duration: int) -> list[Turn]:
    matches = list(SPEAKER.finditer(text))
    if not matches:
        return [Turn(0, "caller", text.strip(), 0.0 if duration else None, approximate=True)] if text.strip() else []
    total = len(text)
    turns = []
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else total
        body = text[match.end() : end].strip()
        if not body:
            continue
        speaker = "agent" if match.group(1).lower() in AGENT_NAMES else "caller"
        # Speech runs at a roughly even pace, so the share of text before a turn is a fair guess
        # at the share of the call before it.
        start = round(duration * match.start() / total, 1) if duration else None
        turns.append(Turn(len(turns), speaker, body, start, approximate=True))
    return turns
