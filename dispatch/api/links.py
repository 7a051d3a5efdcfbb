"""OpenAPI links: where the ids in an answer lead next (a created delivery can be read, cancelled,
tracked, assigned, reported on; a started shift can share positions ...).

They document the API's flows for client authors, and schemathesis follows them to chain calls
statefully (``tests/integration/test_schemathesis.py``). Operations are named here by method
and path; ``install(app)`` resolves them to FastAPI's operation ids when the schema is built, and
a link to an operation that does not exist fails the build (a renamed route must update it).
"""

from __future__ import annotations

from typing import Any

DELIVERY_ID = {"path.delivery_id": "$response.body#/id"}
PICKUP_STOP = {"path.stop_id": "$response.body#/stops/0/id"}
DROPOFF_STOP = {"path.stop_id": "$response.body#/stops/1/id"}

GET_DELIVERY = ("GET", "/api/v1/deliveries/{delivery_id}")
CANCEL = ("POST", "/api/v1/deliveries/{delivery_id}/cancel")
RECEIPT = ("GET", "/api/v1/deliveries/{delivery_id}/receipt")
TRACK = ("GET", "/api/v1/track/{token}")
ASSIGN = ("POST", "/api/v1/dispatch/deliveries/{delivery_id}/assign")
UNASSIGN = ("POST", "/api/v1/dispatch/deliveries/{delivery_id}/unassign")
REPORT = ("POST", "/api/v1/courier/stops/{stop_id}/reports")
PROOF = ("POST", "/api/v1/courier/stops/{stop_id}/proof")
TRACK_IT = {"path.token": "$response.body#/tracking_token"}
OPTIONAL = {PROOF}  # served with the web views only (SERVE_STATIC): no link to it without them

# (method, path, status) of the answer -> {link name: ((method, path) of the next call, parameters)}
LINKS: dict[tuple[str, str, str], dict[str, tuple[tuple[str, str], dict[str, str]]]] = {
    ("POST", "/api/v1/deliveries", "201"): {
        "GetDelivery": (GET_DELIVERY, DELIVERY_ID),
        "CancelDelivery": (CANCEL, DELIVERY_ID),
        "DeliveryReceipt": (RECEIPT, DELIVERY_ID),
        "TrackDelivery": (TRACK, TRACK_IT),
        "AssignDelivery": (ASSIGN, DELIVERY_ID),
        "UnassignDelivery": (UNASSIGN, DELIVERY_ID),
        "ReportAtPickup": (REPORT, PICKUP_STOP),
        "ReportAtDropoff": (REPORT, DROPOFF_STOP),
        "ProofAtDropoff": (PROOF, DROPOFF_STOP),
    },
    ("GET", "/api/v1/deliveries/{delivery_id}", "200"): {
        "CancelDelivery": (CANCEL, DELIVERY_ID),
        "DeliveryReceipt": (RECEIPT, DELIVERY_ID),
        "TrackDelivery": (TRACK, TRACK_IT),
        "ReportAtPickup": (REPORT, PICKUP_STOP),
    },
    ("POST", "/api/v1/deliveries/{delivery_id}/cancel", "200"): {
        "GetDelivery": (GET_DELIVERY, DELIVERY_ID),
        "TrackDelivery": (TRACK, TRACK_IT),
        "AssignDelivery": (ASSIGN, DELIVERY_ID),
    },
    ("GET", "/api/v1/deliveries", "200"): {
        "GetDelivery": (GET_DELIVERY, {"path.delivery_id": "$response.body#/items/0/id"}),
    },
    ("GET", "/api/v1/dispatch/deliveries", "200"): {
        "AssignDelivery": (ASSIGN, {"path.delivery_id": "$response.body#/0/id"}),
        "UnassignDelivery": (UNASSIGN, {"path.delivery_id": "$response.body#/0/id"}),
    },
    ("POST", "/api/v1/dispatch/deliveries/{delivery_id}/assign", "200"): {
        "GetDelivery": (GET_DELIVERY, DELIVERY_ID),
        "UnassignDelivery": (UNASSIGN, DELIVERY_ID),
        "CancelDelivery": (CANCEL, DELIVERY_ID),
        "TrackDelivery": (TRACK, TRACK_IT),
    },
    ("POST", "/api/v1/dispatch/deliveries/{delivery_id}/unassign", "200"): {
        "GetDelivery": (GET_DELIVERY, DELIVERY_ID),
        "AssignDelivery": (ASSIGN, DELIVERY_ID),
    },
    ("GET", "/api/v1/dispatch/couriers", "200"): {
        "CourierStatement": (("GET", "/api/v1/couriers/{courier_id}/statement"),
                             {"path.courier_id": "$response.body#/0/courier_id"}),
    },
    ("POST", "/api/v1/courier/shift/start", "201"): {
        "SharePosition": (("POST", "/api/v1/courier/position"), {}),
        "MyRoute": (("GET", "/api/v1/courier/route"), {}),
        "EndShift": (("POST", "/api/v1/courier/shift/end"), {}),
    },
    ("GET", "/api/v1/courier/route", "200"): {
        "ReportAtNextStop": (REPORT, {"path.stop_id": "$response.body#/stops/0/id"}),
        "ProofAtNextStop": (PROOF, {"path.stop_id": "$response.body#/stops/0/id"}),
    },
    ("POST", "/api/v1/courier/stops/{stop_id}/reports", "200"): {
        "MyRoute": (("GET", "/api/v1/courier/route"), {}),
    },
    ("POST", "/api/v1/webhooks", "201"): {
        "GetWebhook": (("GET", "/api/v1/webhooks/{webhook_id}"), {"path.webhook_id": "$response.body#/id"}),
        "DeleteWebhook": (("DELETE", "/api/v1/webhooks/{webhook_id}"), {"path.webhook_id": "$response.body#/id"}),
    },
}


def add_links(schema: dict[str, Any]) -> dict[str, Any]:
    """Write ``LINKS`` into an OpenAPI document (in place; running it twice changes nothing)."""
    paths = schema.get("paths", {})
    operation_id = {(method.upper(), path): op["operationId"]
                    for path, ops in paths.items() for method, op in ops.items() if "operationId" in op}
    for (method, path, status), links in LINKS.items():
        response = paths[path][method.lower()]["responses"][status]
        out = response.setdefault("links", {})
        for name, (target, parameters) in links.items():
            if target in OPTIONAL and target not in operation_id:
                continue
            out[name] = {"operationId": operation_id[target], **({"parameters": parameters} if parameters else {})}
    return schema


def install(app: Any) -> None:
    """Add the links to the app's OpenAPI document (wraps whatever ``app.openapi`` is now)."""
    inner = app.openapi

    def openapi() -> dict[str, Any]:
        return add_links(inner())

    app.openapi = openapi
