"""Query cost limits: a dashboard query is a few hundred fields; a hostile one is millions.

Depth alone does not bound the work (a shallow query can ask for 500 enterprises x 500 risks x
500 hazards), so each field is also costed: 1 for itself plus its selections, times the page size
(`first`) of a list field. A query above `max_complexity` is refused before it runs, with the
computed cost in the error. Fragments are expanded; variables are resolved.
"""

from __future__ import annotations

from typing import Any

from collections.abc import Iterator

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

# List fields without a `first` argument: a bound on their length for costing.
IMPLICIT_LIST = {"byIndustry": 25, "children": 200, "controlMeasures": 10, "edges": 1}
DEFAULT_FIRST = {"enterprises": 20, "risks": 100, "hazards": 100, "inspections": 100}


class QueryCost:
    """The cost of each operation of a parsed document, with its variables."""

    def __init__(self, document: DocumentNode, variables: dict[str, Any] | None) -> None:
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.variables = variables or {}
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]

    def of(self, operation_name: str | None) -> tuple[int, OperationDefinitionNode | None]:
        chosen = [o for o in self.operations if operation_name is None or (o.name and o.name.value == operation_name)]
        costs = [(self._cost(o.selection_set, 0), o) for o in chosen]
        return max(costs, key=lambda c: c[0]) if costs else (0, None)

    def _cost(self, selection_set: SelectionSetNode | None, depth: int) -> int:
        if selection_set is None or depth > 50:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = 1 + self._cost(selection.selection_set, depth + 1)
                total += inner * self._multiplier(selection)
            elif isinstance(selection, InlineFragmentNode):
                total += self._cost(selection.selection_set, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is not None:
                    total += self._cost(fragment.selection_set, depth + 1)
        return total

    def _multiplier(self, node: FieldNode) -> int:
        name = node.name.value
        for argument in node.arguments or ():
            if argument.name.value == "first":
                try:
                    value = value_from_ast_untyped(argument.value, self.variables)
                except Exception:  # noqa: BLE001 - malformed: validation reports it
                    value = None
                return max(1, value) if isinstance(value, int) else DEFAULT_FIRST.get(name, 1)
        return DEFAULT_FIRST.get(name) or IMPLICIT_LIST.get(name, 1)


def complexity_limit(max_complexity: int) -> type[SchemaExtension]:
    class ComplexityLimit(SchemaExtension):
        """Refuses an operation whose cost (with its variables) is above the limit, before validation
        and execution; graphql-core's validation rules cannot see variables, so this is an extension."""

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                cost, operation = QueryCost(context.graphql_document, context.variables).of(context.operation_name)
                if cost > max_complexity:
                    context.pre_execution_errors = [GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_complexity}; ask for smaller pages",
                        operation, extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": max_complexity},
                    )]
            yield

    return ComplexityLimit
