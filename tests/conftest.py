"""Shared by every test folder: folder markers, and a guard against leaked environment variables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).parent
# A test under tests/<folder>/ gets the marker of that name, so `-m unit` selects tests/unit.
FOLDER_MARKERS = ("unit", "image", "e2e")
# pytest itself rewrites this one for every setup/call/teardown phase.
PYTEST_OWN_VARIABLES = frozenset({"PYTEST_CURRENT_TEST"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        try:
            folder = item.path.relative_to(TESTS_DIR).parts[0]
        except ValueError:  # collected from outside tests/
            continue
        if folder in FOLDER_MARKERS:
            item.add_marker(folder)


@pytest.fixture(autouse=True)
def no_leaked_environment_variables():
    """Fail a test that leaves os.environ changed: later tests would see its variables."""
    before = dict(os.environ)
    yield
    after = dict(os.environ)
    changed = sorted(
        name
        for name in (before.keys() | after.keys()) - PYTEST_OWN_VARIABLES
        if before.get(name) != after.get(name)
    )
    if changed:
        # Put them back so one leaking test does not make every later test fail too.
        for name in changed:
            if name in before:
                os.environ[name] = before[name]
            else:
                del os.environ[name]
        pytest.fail(f"test changed environment variables: {', '.join(changed)}")
