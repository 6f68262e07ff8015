"""The supervision feature of the GraphQL schema: rules, reminders, the inbox (merged into Query)."""

from api.graphql.supervision.closed_loop import ClosedLoopQueries
from api.graphql.supervision.queries import SupervisionQuery

__all__ = ["ClosedLoopQueries", "SupervisionQuery"]
