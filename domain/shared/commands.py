"""How a command is carried out: load, decide, commit, and what the caller gets back.

Every use case follows the same path, so it lives here once:
- `CommandContext` says how the command arrived (its Meta) and what the caller expects (If-Match).
- `Committer` writes an aggregate's pending events. The domain ships `DirectCommitter` (one save per
  command, used by unit tests and tools); production wires a group committer that writes many
  concurrent commands in one transaction but still answers each one on its own.
- `CommandRunner` retries a command on a concurrent write unless the caller pinned a version.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.shared.errors import CommandRefused, Conflict, NotFound, StaleVersion
from domain.shared.meta import Meta

A = TypeVar("A", bound=Aggregate)

# Called inside the commit transaction with the receipt and the store's transaction handle, so a
# caller can persist something (an idempotent response) atomically with the events.
OnRecorded = Callable[["Receipt", Any], None]


@dataclass(frozen=True)
class Receipt:
    """What every command returns: the aggregate, its new version and the log position.

    `position` is None when nothing was written (an identical create repeated).
    """

    aggregate_id: UUID
    version: int
    position: int | None
    created: bool = False


@dataclass(frozen=True)
class CommandContext:
    meta: Meta
    expected_version: int | None = None
    on_recorded: OnRecorded | None = None


class Committer(Protocol):
    def commit(self, aggregate: Aggregate, context: CommandContext) -> Receipt:
        """Write the aggregate's pending events; raise IntegrityError on a concurrent write."""


class DirectCommitter:
    """One `save()` per command: simple and correct, limited by one commit per command."""

    def __init__(self, app: Application) -> None:
        self._app = app

    def commit(self, aggregate: Aggregate, context: CommandContext) -> Receipt:
        recordings = self._app.save(aggregate)
        position = recordings[-1].notification.id if recordings else None
        receipt = Receipt(aggregate.id, aggregate.version, position)
        if context.on_recorded is not None:
            context.on_recorded(receipt, None)
        return receipt


class CommandRunner:
    """Load -> decide -> commit with optimistic concurrency.

    Without an expected version a command that lost a race is re-run on the fresh state (it "applies
    to the latest version"); with one, the caller learns it is stale (HTTP 412).
    """

    def __init__(self, app: Application, committer: Committer, attempts: int = 5) -> None:
        self._app = app
        self._committer = committer
        self._attempts = attempts

    def load(self, aggregate_id: UUID, cls: type[A], visible: Callable[[A], bool] | None = None) -> A:
        try:
            aggregate = self._app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__.lower()} with id {aggregate_id}") from None
        if not isinstance(aggregate, cls) or (visible is not None and not visible(aggregate)):
            raise NotFound(f"no {cls.__name__.lower()} with id {aggregate_id}")
        return aggregate

    def exists(self, aggregate_id: UUID) -> Aggregate | None:
        try:
            return self._app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None

    def create(
        self,
        context: CommandContext,
        aggregate_id: UUID,
        build: Callable[[], A],
        same_as: Callable[[A], bool],
    ) -> Receipt:
        """Create idempotently: an identical repeat writes nothing, a different one is a Conflict."""
        for _ in range(self._attempts):
            existing = self.exists(aggregate_id)
            if existing is not None:
                if not same_as(existing):  # type: ignore[arg-type]
                    raise Conflict(f"{aggregate_id} already exists with different content")
                return Receipt(existing.id, existing.version, None, created=False)
            aggregate = build()
            try:
                receipt = self._committer.commit(aggregate, context)
            except IntegrityError:
                continue  # created concurrently: compare with what won
            return Receipt(receipt.aggregate_id, receipt.version, receipt.position, created=True)
        raise CommandRefused(f"{aggregate_id} is being written concurrently; retry later")

    def change(
        self,
        context: CommandContext,
        aggregate_id: UUID,
        cls: type[A],
        decide: Callable[[A], None],
        visible: Callable[[A], bool] | None = None,
    ) -> Receipt:
        for _ in range(self._attempts):
            aggregate = self.load(aggregate_id, cls, visible)
            if context.expected_version is not None and aggregate.version != context.expected_version:
                raise StaleVersion(context.expected_version, aggregate.version)
            decide(aggregate)
            try:
                return self._committer.commit(aggregate, context)
            except IntegrityError:
                if context.expected_version is not None:
                    current = self.load(aggregate_id, cls, visible).version
                    raise StaleVersion(context.expected_version, current) from None
        raise CommandRefused(f"{aggregate_id} is being written concurrently; retry later")
