"""The enterprise interfaces of the data exchange platform, declared once, here.

Each command route names its interface code (`exposes(code)` on the route, `interface_call(code)`
as its dependency); on start the catalog is made to match what the routes serve (method, path,
request and response schema), so it cannot drift from the API."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from domain.catalog.commands import InterfaceSpec

VERSION = "1.0"

# code -> (中文名称, English name, description) — the seed's interface list (1.4.1.1)
NAMES: dict[str, tuple[str, str, str]] = {
    "risk.add": ("风险点新增", "Add risk point", "Add a risk point (风险点) to the enterprise's risk list."),
    "risk.maintain": ("风险信息维护(升级、降级)", "Maintain risk", "Change a risk's level (upgrade/downgrade) or revise its control measures."),
    "risk.invalidate": ("风险点删除(变更有效状态)", "Invalidate risk", "Invalidate a risk point; never a physical delete."),
    "hazard.add": ("隐患信息新增", "Add hazard", "Register a hidden hazard (隐患)."),
    "hazard.maintain": ("隐患信息维护(整改、验收)", "Maintain hazard", "Report a hazard's rectification or its acceptance."),
    "hazard.invalidate": ("隐患信息删除(变更有效状态)", "Invalidate hazard", "Invalidate a hazard; never a physical delete."),
    "inspection.record": ("隐患排查记录", "Record inspection", "Record an investigation, also when it found no hazard."),
}
EXTENSION = "x-interface-code"


def exposes(code: str) -> dict[str, Any]:
    """`openapi_extra` for a route that implements interface `code`."""
    if code not in NAMES:
        raise KeyError(f"undeclared interface {code}")
    return {EXTENSION: code}


def declared_interfaces(app: FastAPI) -> list[InterfaceSpec]:
    """Read the interfaces off the app's own OpenAPI document: the published standard itself."""
    operations: dict[str, list[dict[str, str]]] = {code: [] for code in NAMES}
    schemas: dict[str, tuple[str | None, str | None]] = {}
    for path, methods in app.openapi()["paths"].items():
        for method, operation in methods.items():
            code = operation.get(EXTENSION)
            if code is None:
                continue
            operations[code].append({"method": method.upper(), "path": path})
            schemas.setdefault(code, (_ref(operation.get("requestBody")), _ref(_success(operation))))
    specs = []
    for code, (name_zh, name_en, description) in NAMES.items():
        request_schema, response_schema = schemas.get(code, (None, None))
        specs.append(InterfaceSpec(
            code=code, name_zh=name_zh, name_en=name_en, description=description, version=VERSION,
            operations=sorted(operations[code], key=lambda op: (op["path"], op["method"])),
            request_schema=f"/openapi.json{request_schema}" if request_schema else None,
            response_schema=f"/openapi.json{response_schema}" if response_schema else None,
        ))
    return specs


def _success(operation: dict[str, Any]) -> dict[str, Any] | None:
    responses = operation.get("responses", {})
    return responses.get("201") or responses.get("200")


def _ref(part: dict[str, Any] | None) -> str | None:
    """'#/components/schemas/X' of a request body or response, if it names one."""
    if not part:
        return None
    schema = part.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref")
