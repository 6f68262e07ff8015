"""Every REST request body is a model of the data standard (so the control-character rule applies to
it), and every text and list in the standard has a maximum length (docs/data-standard.md, "Limits").
A field added without one fails here, not in production with a 40 MB event."""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from typing import Annotated, Any, get_args, get_origin

import pytest
from annotated_types import MaxLen
from fastapi import params
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

import api.rest
from api.schemas.common import StandardModel
from api.schemas.risks import MAX_HAZARD_FACTORS, RiskIdentification



def request_body_models() -> set[type[BaseModel]]:
    """The JSON body model of every route of every router in api/rest (form bodies aside)."""
    models = set()
    for module_info in pkgutil.iter_modules(api.rest.__path__):
        router = getattr(importlib.import_module(f"api.rest.{module_info.name}"), "router", None)
        for route in getattr(router, "routes", []):
            if isinstance(route, APIRoute) and route.body_field is not None and not isinstance(
                    route.body_field.field_info, params.Form):
                annotation = route.body_field.field_info.annotation
                if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                    models.add(annotation)
    return models


def all_models(roots: set[type[BaseModel]]) -> set[type[BaseModel]]:
    seen: set[type[BaseModel]] = set()
    todo = list(roots)
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        for field in model.model_fields.values():
            todo.extend(m for m in _types_in(field.annotation) if isinstance(m, type) and issubclass(m, BaseModel))
    return seen


def _types_in(annotation: Any) -> list[Any]:
    args = get_args(annotation)
    if get_origin(annotation) is Annotated:
        return _types_in(args[0])
    if not args:
        return [annotation]
    return [t for a in args for t in _types_in(a)]


def _has_max(metadata: list[Any]) -> bool:
    return any(isinstance(m, MaxLen) for m in metadata)


def unbounded(model: type[BaseModel]) -> list[str]:
    """Fields of `model` holding a str or a list without a maximum length (on the field or the item)."""
    problems = []
    for name, field in model.model_fields.items():
        problems += [f"{model.__name__}.{name}{where}" for where in _unbounded(field.annotation, field.metadata, "")]
    return problems


def _unbounded(annotation: Any, metadata: list[Any], where: str) -> list[str]:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Annotated:
        extra = [m for a in args[1:] for m in (a.metadata if isinstance(a, FieldInfo) else [a])]
        return _unbounded(args[0], metadata + extra, where)
    if origin in (typing.Union, types.UnionType):
        return [p for a in args if a is not type(None) for p in _unbounded(a, metadata, where)]
    if origin is list:
        own = [] if _has_max(metadata) else [f"{where} (list)"]
        return own + _unbounded(args[0], [], where + "[]")
    if annotation is str:
        return [] if _has_max(metadata) else [f"{where} (str)"]
    return []


def test_every_rest_request_body_is_a_model_of_the_data_standard() -> None:
    bodies = request_body_models()
    assert bodies, "no request bodies found"
    assert [m.__name__ for m in all_models(bodies) if not issubclass(m, StandardModel)] == []


def test_every_text_and_list_in_a_request_body_has_a_maximum_length() -> None:
    assert [p for model in all_models(request_body_models()) for p in unbounded(model)] == []


def test_the_check_finds_an_unbounded_text_and_list() -> None:
    class Careless(StandardModel):
        name: str
        tags: list[Annotated[str, MaxLen(10)]] | None = None

    assert unbounded(Careless) == ["Careless.name (str)", "Careless.tags (list)"]


def test_a_list_one_over_its_maximum_is_refused() -> None:
    body = {"hazard_factors": ["超压"] * (MAX_HAZARD_FACTORS + 1)}
    with pytest.raises(ValidationError) as refused:
        RiskIdentification.model_validate(body)
    assert any(e["loc"] == ("hazard_factors",) and e["type"] == "too_long" for e in refused.value.errors())
