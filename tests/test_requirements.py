"""Two locks: requirements.lock is exactly what the app runs on (its declared dependencies and theirs,
nothing a test or a benchmark needs), requirements-dev.lock the rest; both pin exact versions."""

from __future__ import annotations

import tomllib
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def pins(lock: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / lock).read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, sep, version = line.partition("==")
            assert sep and version, f"{lock}: {line!r} is not pinned with =="
            found[canonicalize_name(name)] = version
    return found


def needed_by(requirements: list[str]) -> set[str]:
    """Every distribution these requirements pull in (extras included), from the installed metadata."""
    wanted: dict[str, set[str]] = {}
    todo = [Requirement(r) for r in requirements]
    while todo:
        requirement = todo.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in wanted and extras <= wanted[name]:
            continue
        wanted[name] = wanted.get(name, set()) | extras
        for text in metadata.requires(requirement.name) or []:
            dependency = Requirement(text)
            if dependency.marker is None or any(
                dependency.marker.evaluate({"extra": extra}) for extra in {*wanted[name], ""}
            ):
                todo.append(dependency)
    return set(wanted)


def test_the_runtime_lock_is_exactly_what_the_app_runs_on():
    runtime = pins("requirements.lock")

    assert set(runtime) == needed_by(PYPROJECT["project"]["dependencies"])


def test_no_test_or_development_tool_is_installed_for_production():
    runtime = pins("requirements.lock")
    tools = {
        canonicalize_name(Requirement(r).name)
        for group in PYPROJECT["project"]["optional-dependencies"].values()
        for r in group
    }

    assert not tools & set(runtime)
    assert not {"pytest", "moto", "playwright", "ruff", "schemathesis"} & set(runtime)


def test_the_development_lock_adds_the_tools_and_nothing_twice():
    runtime, development = pins("requirements.lock"), pins("requirements-dev.lock")
    tools = [r for group in PYPROJECT["project"]["optional-dependencies"].values() for r in group]

    assert not set(runtime) & set(development)
    assert needed_by(tools) <= set(runtime) | set(development)
    assert all(metadata.version(name) == version for name, version in {**runtime, **development}.items())
