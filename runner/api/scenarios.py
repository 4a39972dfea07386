"""/api/v1/scenarios and /api/v1/sequences: DAGs of tasks, following the tasks pattern."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from runner.api.blueprint import Blueprint

from runner.api import schemas as s
from runner.api.auth import require
from runner.api.context import ctx, page, paged
from runner.auth.roles import Role
from runner.services import scenarios as service

blp = Blueprint("scenarios", __name__, url_prefix="/api/v1/scenarios", description="Scenarios: a DAG of tasks")
sequences_blp = Blueprint(
    "sequences", __name__, url_prefix="/api/v1/sequences", description="Sequences: named subsets of a scenario"
)


def _submitted(submission: Any, what: str) -> tuple[dict[str, Any], int, dict[str, str]]:
    location = f"/api/v1/submissions/{submission.id}"
    return {"message": f"{what} submitted", "submission": submission}, 202, {"Location": location}


@blp.route("")
class Scenarios(MethodView):
    @require(Role.READER)
    @blp.arguments(s.ScenarioListArgs, location="query")
    @blp.response(200, s.ScenarioPage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List scenarios, oldest first"""
        p = page(args)
        items, total = service.list_scenarios(ctx(), p, args.get("config_id"))
        return paged(items, total, p)

    @require(Role.EDITOR)
    @blp.arguments(s.ConfigIdArgs, location="query")
    @blp.response(201, s.ScenarioEnvelope)
    @blp.alt_response(404, description="No scenario config has this id")
    def post(self, args: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Create a scenario (its tasks, data nodes and sequences) from its config id"""
        scenario = service.create_scenario(ctx(), args["config_id"])
        return (
            {"message": f"scenario {scenario.id} created", "scenario": scenario},
            201,
            {"Location": f"/api/v1/scenarios/{scenario.id}"},
        )


@blp.route("/<scenario_id>")
class ScenarioItem(MethodView):
    @require(Role.READER)
    @blp.response(200, s.ScenarioOnly)
    @blp.alt_response(404, description="No scenario has this id")
    def get(self, scenario_id: str) -> dict[str, Any]:
        """Get a scenario"""
        return {"scenario": service.get_scenario(ctx(), scenario_id)}

    @require(Role.EDITOR)
    @blp.response(200, s.Message)
    @blp.alt_response(404, description="No scenario has this id")
    @blp.alt_response(409, description="The scenario has unfinished jobs")
    def delete(self, scenario_id: str) -> dict[str, Any]:
        """Delete a scenario with its tasks, sequences, owned data nodes and finished jobs"""
        service.delete_scenario(ctx(), scenario_id)
        return {"message": f"scenario {scenario_id} deleted"}


@blp.route("/<scenario_id>/dag")
class ScenarioDag(MethodView):
    @require(Role.READER)
    @blp.response(200, s.DagSchema)
    @blp.alt_response(404, description="No scenario has this id")
    def get(self, scenario_id: str) -> dict[str, Any]:
        """The scenario's DAG: nodes with their latest status, and edges"""
        return service.scenario_dag(ctx(), scenario_id)


@blp.route("/submit/<scenario_id>")
class ScenarioSubmit(MethodView):
    @require(Role.EXECUTOR)
    @blp.arguments(s.SubmitOptions, required=False)
    @blp.response(202, s.SubmissionEnvelope)
    @blp.alt_response(404, description="No scenario has this id")
    def post(self, body: dict[str, Any], scenario_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Run every task of a scenario in DAG order, independent branches in parallel"""
        submission = service.submit_scenario(ctx(), scenario_id, timeout=body.get("timeout"))
        return _submitted(submission, f"scenario {scenario_id}")


@sequences_blp.route("")
class Sequences(MethodView):
    @require(Role.READER)
    @sequences_blp.arguments(s.SequenceListArgs, location="query")
    @sequences_blp.response(200, s.SequencePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List sequences"""
        p = page(args)
        items, total = service.list_sequences(ctx(), p, args.get("scenario_id"))
        return paged(items, total, p)


@sequences_blp.route("/<sequence_id>")
class SequenceItem(MethodView):
    @require(Role.READER)
    @sequences_blp.response(200, s.SequenceOnly)
    @sequences_blp.alt_response(404, description="No sequence has this id")
    def get(self, sequence_id: str) -> dict[str, Any]:
        """Get a sequence"""
        return {"sequence": service.get_sequence(ctx(), sequence_id)}


@sequences_blp.route("/submit/<sequence_id>")
class SequenceSubmit(MethodView):
    @require(Role.EXECUTOR)
    @sequences_blp.arguments(s.SubmitOptions, required=False)
    @sequences_blp.response(202, s.SubmissionEnvelope)
    @sequences_blp.alt_response(404, description="No sequence has this id")
    def post(self, body: dict[str, Any], sequence_id: str) -> tuple[dict[str, Any], int, dict[str, str]]:
        """Run the tasks of a sequence"""
        submission = service.submit_sequence(ctx(), sequence_id, timeout=body.get("timeout"))
        return _submitted(submission, f"sequence {sequence_id}")
