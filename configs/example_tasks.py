"""Task functions for the example configs. Plain Python: inputs in, outputs out."""

from __future__ import annotations


def double(number: float) -> float:
    return number * 2


def greet(greeting: str, *, name: str = "world", punctuation: str = "!") -> str:
    return f"{greeting}, {name}{punctuation}"


def total(numbers: list[float]) -> float:
    return sum(numbers)


def clean(numbers: list[float]) -> list[float]:
    """Drop what is not a number, report progress and log what was dropped."""
    import logging

    from runner import context

    kept = [n for n in numbers if isinstance(n, int | float) and not isinstance(n, bool)]
    dropped = len(numbers) - len(kept)
    if dropped:
        logging.getLogger("example").warning("dropped %d value(s) that are not numbers", dropped)
    context.progress(100, f"kept {len(kept)} of {len(numbers)}")
    return kept


def average(numbers: list[float]) -> float:
    return sum(numbers) / len(numbers) if numbers else 0.0


def report(total: float, mean: float, *, title: str = "Report") -> dict[str, float | str]:
    return {"title": title, "total": total, "average": mean}
