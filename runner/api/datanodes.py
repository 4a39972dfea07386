"""/api/v1/datanodes: read and write the data that tasks consume and produce."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from runner.api.blueprint import Blueprint

from runner.api import schemas as s
from runner.api.auth import require
from runner.api.context import ctx, page, paged
from runner.api.jsonable import jsonable
from runner.auth.roles import Role
from runner.services import datanodes as service

blp = Blueprint("datanodes", __name__, url_prefix="/api/v1/datanodes", description="Data nodes: task inputs and outputs")


@blp.route("")
class DataNodes(MethodView):
    @require(Role.READER)
    @blp.arguments(s.DataNodeListArgs, location="query")
    @blp.response(200, s.DataNodePage)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List data nodes, oldest first"""
        p = page(args)
        items, total = service.list_data_nodes(ctx(), p, args.get("config_id"))
        return paged(items, total, p)


@blp.route("/<datanode_id>")
class DataNodeItem(MethodView):
    @require(Role.READER)
    @blp.response(200, s.DataNodeOnly)
    @blp.alt_response(404, description="No data node has this id")
    def get(self, datanode_id: str) -> dict[str, Any]:
        """Get a data node"""
        return {"datanode": service.get_data_node(ctx(), datanode_id)}


@blp.route("/<datanode_id>/read")
class DataNodeRead(MethodView):
    @require(Role.READER)
    @blp.response(200, s.DataOut)
    @blp.alt_response(404, description="No data node has this id, or it was never written")
    def get(self, datanode_id: str) -> dict[str, Any]:
        """Read a data node's value"""
        return {"data": jsonable(service.read_data(ctx(), datanode_id))}


@blp.route("/<datanode_id>/write")
class DataNodeWrite(MethodView):
    @require(Role.EDITOR)
    @blp.arguments(s.DataBody)
    @blp.response(200, s.DataWritten)
    @blp.alt_response(404, description="No data node has this id")
    @blp.alt_response(422, description="The value cannot be stored in this data node's format")
    def put(self, body: dict[str, Any], datanode_id: str) -> dict[str, Any]:
        """Write a data node's value; jobs waiting for it start"""
        dn = service.write_data(ctx(), datanode_id, body["data"])
        return {"message": f"data node {datanode_id} written", "datanode": dn}
