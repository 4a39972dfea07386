"""Our flask-smorest Blueprint: strict JSON bodies (no NaN, Infinity or 1e999: JSON has no such numbers)."""

from __future__ import annotations

import json
import math
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


def _reject_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        # 1e999 is valid JSON syntax, but no double holds it: it would come back as Infinity.
        raise json.JSONDecodeError(f"{text} is beyond the range of a double", text, 0)
    return value


class StrictParser(FlaskParser):
    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        raw = req.get_data(cache=True)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise json.JSONDecodeError(f"the body is not UTF-8: {exc.reason}", "", exc.start) from exc
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = StrictParser()
