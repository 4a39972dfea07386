"""Task functions for the example configs. Plain Python: inputs in, outputs out."""

from __future__ import annotations


def double(number: float) -> float:
    return number * 2


def greet(greeting: str, *, name: str = "world", punctuation: str = "!") -> str:
    return f"{greeting}, {name}{punctuation}"


def total(numbers: list[float]) -> float:
    return sum(numbers)
