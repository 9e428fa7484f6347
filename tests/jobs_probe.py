"""A task for tests that run a real job cluster: it notes when it starts and when it finishes."""

from __future__ import annotations

import time
from pathlib import Path


def note_work(folder: str, name: str, seconds: float) -> str:
    Path(folder, f"{name}.started").touch()
    time.sleep(seconds)
    Path(folder, f"{name}.finished").touch()
    return name
