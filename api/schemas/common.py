"""Shared parts of the published data standard."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from domain.shared.text import find_control_character


class MultiLine:
    """Marks a text field where tab and line breaks make sense (descriptions, measures, reasons,
    results): `Annotated[str, MULTILINE]`, spelled `MultiLineText`. Every other text is single-line."""

    def __repr__(self) -> str:
        return "MULTILINE"


MULTILINE = MultiLine()
MultiLineText = Annotated[str, MULTILINE]


class StandardModel(BaseModel):
    """The root of every request body of the data standard.

    Unknown fields are refused: a typo must not silently drop data. Every text, in any field,
    list or nested model, is refused when it holds a control character (domain/shared/text.py
    says why); the check lives here once, so a field added tomorrow is held to it without a
    thought. Leading and trailing whitespace (including tab and line breaks) is trimmed first.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        multiline = field is not None and MULTILINE in field.metadata
        _refuse_control_characters(value, multiline, where="")
        return value


def _refuse_control_characters(value: Any, multiline: bool, where: str) -> None:
    """Walk strings, lists and dicts; a nested StandardModel has already checked itself."""
    if isinstance(value, str):
        found = find_control_character(value, multiline)
        if found is not None:
            raise PydanticCustomError("control_character", "{where}{message}",
                                      {"where": where, "message": found.message(multiline)})
    elif isinstance(value, (list, tuple, set, frozenset)):
        for i, item in enumerate(value):
            _refuse_control_characters(item, multiline, f"{where}item {i}: ")
    elif isinstance(value, dict):
        for key, item in value.items():
            _refuse_control_characters(key, False, f"{where}key {key!r}: ")
            _refuse_control_characters(item, multiline, f"{where}{key!r}: ")
    elif isinstance(value, BaseModel) and not isinstance(value, StandardModel):
        for name in type(value).model_fields:
            _refuse_control_characters(getattr(value, name), False, f"{where}{name}: ")


class Invalidation(StandardModel):
    reason: MultiLineText = Field(min_length=1, max_length=500, description="作废原因 (变更有效状态)")


class Accepted(BaseModel):
    version: int = Field(description="aggregate version after the command (send as If-Match to pin it)")
    position: int | None = Field(description="global position in the ledger's log; null when nothing was written")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict] | None = None


PROBLEMS = {
    401: {"model": Problem, "description": "missing, invalid or expired token"},
    403: {"model": Problem, "description": "role or scope does not allow this"},
    404: {"model": Problem, "description": "no such resource for this caller"},
    409: {"model": Problem, "description": "the current state forbids the command"},
    412: {"model": Problem, "description": "If-Match names a stale version"},
    422: {"model": Problem, "description": "invalid input, with field errors"},
}
