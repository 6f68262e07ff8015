"""The domain's error family. The API maps each kind to one HTTP status in one place.

- InvalidValue: the input itself is wrong (a bad code, a deadline before found_at) -> 422.
- CommandRefused: the input is fine but the current state forbids it -> 409.
- NotFound: the aggregate does not exist (or is not visible to the caller) -> 404.
- StaleVersion: the caller's expected version (If-Match) is not the current one -> 412.
- Conflict: a create repeats an existing business code with different content -> 409.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""


class InvalidValue(DomainError):
    """A value breaks a rule of the data standard; `field` names it for the caller."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InvalidValues(DomainError):
    """Several InvalidValue at once, so the caller can fix a request in one round trip."""

    def __init__(self, errors: list[InvalidValue]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


class CommandRefused(DomainError):
    """The command is well-formed but the aggregate's current state forbids it."""


class NotFound(DomainError):
    """No such aggregate, or not one the caller may see."""


class StaleVersion(DomainError):
    """The caller expected another version than the current one (optimistic concurrency)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the current version is {actual}")
        self.expected = expected
        self.actual = actual


class Conflict(DomainError):
    """A create names an existing business key with different content."""
