"""Retry decisions and backoff: exponential, capped, with jitter."""

from __future__ import annotations

import random

from runner.config.models import RetryPolicy

# Error types that runner itself gives a job, as opposed to exceptions of the function.
TIMEOUT = "TimeoutError"
LOST = "WorkerLost"


def should_retry(policy: RetryPolicy, attempts: int, error_type: str) -> bool:
    """After `attempts` attempts ended with `error_type`, is there another one?"""
    if attempts > policy.retries:
        return False
    if error_type == TIMEOUT and not policy.retry_on_timeout:
        return False
    if policy.retry_on and error_type not in policy.retry_on and error_type not in (TIMEOUT, LOST):
        return False
    return True


def retry_delay(policy: RetryPolicy, attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt `attempts + 1`."""
    base = min(policy.retry_delay * policy.backoff ** max(0, attempts - 1), policy.max_delay)
    spread = base * policy.jitter
    return max(0.0, base + (rng or random).uniform(-spread, spread))
