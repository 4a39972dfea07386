"""What a task function may use while it runs: progress reports (logs go through `logging`).

    from runner import context

    def train(data):
        context.progress(40, "halfway")
        logging.getLogger(__name__).info("loss is %.3f", loss)

Outside a job (a unit test calling the function directly) every call is a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable

Reporter = Callable[[str, str, float | None], None]

_reporter: Reporter | None = None
_job_id: str | None = None


def progress(percent: float, message: str = "") -> None:
    """Report how far the job is (0 to 100) with an optional message."""
    if _reporter is not None:
        _reporter("info", message or f"{percent:g}%", max(0.0, min(100.0, float(percent))))


def job_id() -> str | None:
    """The id of the job running this function, or None outside a job."""
    return _job_id


def _bind(job_id: str | None, reporter: Reporter | None) -> None:
    global _job_id, _reporter
    _job_id, _reporter = job_id, reporter
