"""Fixtures for config tests: a project directory, and import isolation between tests."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from config_helpers import Project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path / "project")


@pytest.fixture(autouse=True)
def isolate_imports(tmp_path: Path) -> Iterator[None]:
    """Undo what loading did to sys.path and sys.modules for this test's directories."""
    saved_path = list(sys.path)
    saved_modules = set(sys.modules)
    yield
    sys.path[:] = saved_path
    root = os.path.realpath(tmp_path) + os.sep
    for name in set(sys.modules) - saved_modules:
        file = getattr(sys.modules[name], "__file__", None)
        if isinstance(file, str) and os.path.realpath(file).startswith(root):
            del sys.modules[name]
