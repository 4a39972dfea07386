"""Helpers for config tests: a throwaway project directory per test.

A module of its own (not conftest.py) so that tests can import it by a name unique in the tree.

Module names. Each test's module gets a unique name (`project.mod`), so tests never depend on
the loader's handling of same-named modules in different directories; that handling has its own
tests (test_config_functions.py), which use the name `tasks` on purpose.
"""

from __future__ import annotations

import textwrap
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from runner.config import ConfigIssue, Registry, load_registry
from runner.errors import ConfigError

FIXTURES = Path(__file__).parent / "fixtures"

DEFAULT_MODULE = """
def double(x):
    return 2 * x

def add(a, b):
    return a + b

def scale(x, factor=2):
    return x * factor

def produce():
    return 1
"""


@dataclass
class Project:
    root: Path
    mod: str = field(default_factory=lambda: f"tasks_{uuid.uuid4().hex[:10]}")

    def write(self, name: str, text: str) -> Path:
        """Write a file; `$mod` in the text stands for this project's module name."""
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).replace("$mod", self.mod), encoding="utf-8")
        return path

    def module(self, source: str = DEFAULT_MODULE, name: str | None = None) -> Path:
        return self.write(f"{name or self.mod}.py", source)

    def config(self, text: str, name: str = "config.toml", with_module: bool = True) -> Path:
        if with_module and not (self.root / f"{self.mod}.py").exists():
            self.module()
        return self.write(name, text)

    def load(self, text: str | None = None, name: str = "config.toml") -> Registry:
        path = self.config(text, name) if text is not None else self.root
        return load_registry(path)

    def issues(self, text: str | None = None, name: str = "config.toml") -> list[ConfigIssue]:
        with pytest.raises(ConfigError) as caught:
            self.load(text, name)
        return caught.value.issues

    def file(self, name: str = "config.toml") -> str:
        return str(self.root / name)


def one(issues: list[ConfigIssue], text: str) -> ConfigIssue:
    """The single issue whose message contains `text` (fails with every message otherwise)."""
    found = [i for i in issues if text in i.message]
    assert len(found) == 1, f"{len(found)} issue(s) contain {text!r}; all issues:\n" + "\n".join(
        map(str, issues)
    )
    return found[0]
