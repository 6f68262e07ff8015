"""Collect every invalid field of a request before refusing it, so a caller fixes it in one go."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from domain.shared.errors import InvalidValue, InvalidValues
from domain.shared.text import find_control_character

T = TypeVar("T")


class Checks:
    def __init__(self) -> None:
        self.errors: list[InvalidValue] = []

    def run(self, check: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        try:
            return check(*args, **kwargs)
        except InvalidValue as error:
            self.errors.append(error)
            return None

    def fail(self, field: str, message: str) -> None:
        self.errors.append(InvalidValue(field, message))

    def done(self) -> None:
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidValues(self.errors)


def require_text(value: str, field: str, max_length: int = 500, *, multiline: bool = False) -> str:
    """A non-empty text of at most `max_length` characters, without control characters (tab and line
    breaks only when `multiline`: descriptions, measures, reasons, results). Checked before stripping,
    so a control character at either end is refused too, not silently dropped."""
    require_clean_text(value or "", field, multiline=multiline)
    text = (value or "").strip()
    if not text:
        raise InvalidValue(field, "must not be empty")
    if len(text) > max_length:
        raise InvalidValue(field, f"must be at most {max_length} characters")
    return text


def require_clean_text(value: str, field: str, *, multiline: bool = False) -> str:
    """`value` unchanged (empty allowed), or InvalidValue when it holds a control character."""
    found = find_control_character(value, multiline)
    if found is not None:
        raise InvalidValue(field, found.message(multiline))
    return value
