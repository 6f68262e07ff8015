"""Query limits: a dashboard query is a few hundred fields; a hostile one is millions.

Three checks run before anything is read:

- the parser's limits (tokens, comments, source length): parsing is CPU and memory linear in the
  tokens, and it runs before validation, so a 40 MB query must be refused while it is lexed;
- depth and aliases (Strawberry's validation rules, see api/graphql/__init__.py);
- cost: depth alone does not bound the work (a shallow query can ask for 500 enterprises x 500
  risks x 500 hazards), so each field is costed: 1 for itself plus its selections, times the
  number of items it can return. A paged field (one with `first`) returns at most `first` items
  (its default when not given; variables resolved). Every other list field returns at most its
  bound in `LIST_BOUNDS`. An operation above `max_complexity` is refused before it runs, with the
  computed cost in the error. Fragments are expanded (each fragment costed once per type).

The list fields are read from the schema itself (`list_bounds`), and building the schema fails
if one has neither `first` nor a bound, so a new list field cannot be forgotten.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Undefined,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from api.schemas.risks import MAX_ACCIDENT_TYPES, MAX_CONTROL_MEASURES, MAX_HAZARD_FACTORS
from domain.shared.codes import Industry
from domain.shared.regions import henan_regions

# What the parser accepts. The dashboard's largest query is ~250 tokens and GraphiQL's
# introspection query ~170; a request body is limited separately (the request-size middleware).
MAX_TOKENS = 5_000
MAX_COMMENTS = 500
MAX_SOURCE_LENGTH = 100_000  # code points

# Page size of a paged field (`first`): the resolvers refuse or clamp above it.
MAX_PAGE = 500


def _most_children() -> int:
    table = henan_regions()
    return max(len(table.children(r.code, include_retired=True)) for r in table.all())


# Lists without `first`: the most items one can hold, keyed "Type.field". A risk's lists are
# bounded by the data standard's maximum list lengths (api/schemas/risks.py; events written before
# those limits could hold more, but the cost is an estimate, not a guarantee). A drill-down lists
# at most every industry and every child region. A connection's `edges` count 1 each: the
# connection field's own `first` already multiplies its selections.
LIST_BOUNDS: dict[str, int] = {
    "Drilldown.byIndustry": len(Industry),
    "Drilldown.children": _most_children(),
    "DrilldownEnterpriseConnection.edges": 1,
    "RiskConnection.edges": 1,
    "HazardConnection.edges": 1,
    "ReminderConnection.edges": 1,
    "Assessment.children": _most_children(),
    "OverdueRectificationConnection.edges": 1,
    "OverdueEscalationConnection.edges": 1,
    "OverdueEscalation.supervisors": 200,  # routing notifies the supervisors covering an enterprise: a few
    "Inbox.items": 1,
    "ClosedLoop.byIndustry": len(Industry),
    "ClosedLoop.children": _most_children(),
    "ClosedLoopFigures.raisedByKind": 3,  # the reminder kinds
    "ClosedLoopEnterpriseConnection.edges": 1,
    "InactionConnection.edges": 1,
    "InactionItem.supervisors": 50,  # those told of one escalation: a tier's supervisors of one industry  # like edges: the inbox field's own `first` multiplies them
    "Risk.hazardFactors": MAX_HAZARD_FACTORS,
    "Risk.accidentTypes": MAX_ACCIDENT_TYPES,
    "Risk.controlMeasures": MAX_CONTROL_MEASURES,
}


class UnboundedListField(Exception):
    """A list field that neither takes `first` nor has a bound in LIST_BOUNDS."""


def list_fields(schema: GraphQLSchema) -> dict[str, GraphQLField]:
    """Every field of an object or interface type (introspection's own types aside) that returns a
    list, keyed "Type.field"."""
    found = {}
    for type_ in schema.type_map.values():
        if type_.name.startswith("__") or not isinstance(type_, GraphQLObjectType | GraphQLInterfaceType):
            continue
        for name, field in type_.fields.items():
            returned = field.type.of_type if isinstance(field.type, GraphQLNonNull) else field.type
            if isinstance(returned, GraphQLList):
                found[f"{type_.name}.{name}"] = field
    return found


@cache
def list_bounds(schema: GraphQLSchema) -> dict[str, int]:
    """The bound of each unpaged list field of `schema`; raises if one has none."""
    unpaged = {key for key, field in list_fields(schema).items() if "first" not in field.args}
    missing = sorted(unpaged - LIST_BOUNDS.keys())
    if missing:
        raise UnboundedListField(f"list fields without `first` need a bound in LIST_BOUNDS: {', '.join(missing)}")
    return {key: LIST_BOUNDS[key] for key in unpaged}


class QueryCost:
    """The cost of each operation of a parsed (not yet validated) document, with its variables."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode, variables: dict[str, Any] | None) -> None:
        self.schema = schema
        self.bounds = list_bounds(schema)
        self.fragments: dict[str, FragmentDefinitionNode] = {
            d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.given = variables or {}
        self.variables: dict[str, Any] = {}
        self.operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        self._fragment_costs: dict[str, int] = {}

    def of(self, operation_name: str | None) -> tuple[int, OperationDefinitionNode | None]:
        chosen = [o for o in self.operations if operation_name is None or (o.name and o.name.value == operation_name)]
        costs = []
        for operation in chosen:
            self.variables = {**self._defaults(operation), **self.given}
            self._fragment_costs = {}
            costs.append((self._cost(operation.selection_set, self.schema.get_root_type(operation.operation), 0), operation))
        return max(costs, key=lambda c: c[0]) if costs else (0, None)

    @staticmethod
    def _defaults(operation: OperationDefinitionNode) -> dict[str, Any]:
        defaults = {}
        for definition in operation.variable_definitions or ():
            if definition.default_value is not None:
                defaults[definition.variable.name.value] = value_from_ast_untyped(definition.default_value)
        return defaults

    def _cost(self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None, depth: int) -> int:
        if selection_set is None or depth > 50:  # deeper than the depth limit: refused anyway
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                field = _field(parent, selection.name.value)
                child = get_named_type(field.type) if field is not None else None
                inner = 1 + self._cost(selection.selection_set, child, depth + 1)
                total += inner * self._items(selection, parent, field)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                on = self.schema.get_type(condition.name.value) if condition is not None else parent
                total += self._cost(selection.selection_set, on, depth + 1)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, depth)
        return total

    def _fragment(self, name: str, depth: int) -> int:
        """A fragment's cost, computed once (a fragment spread twice in each of ten nested
        fragments would otherwise be walked 2^10 times); a cycle counts 0 (validation refuses it)."""
        if name not in self._fragment_costs:
            fragment = self.fragments.get(name)
            self._fragment_costs[name] = 0
            if fragment is not None:
                on = self.schema.get_type(fragment.type_condition.name.value)
                self._fragment_costs[name] = self._cost(fragment.selection_set, on, depth + 1)
        return self._fragment_costs[name]

    def _items(self, node: FieldNode, parent: GraphQLNamedType | None, field: GraphQLField | None) -> int:
        """How many items the field can return: 1 unless it is a list."""
        if field is None or parent is None:
            return 1  # unknown (validation refuses it) or introspection
        if "first" in field.args:
            value = Undefined
            for argument in node.arguments or ():
                if argument.name.value == "first":
                    try:
                        value = value_from_ast_untyped(argument.value, self.variables)
                    except Exception:  # noqa: BLE001 - malformed: validation reports it
                        value = Undefined
            if not isinstance(value, int) or isinstance(value, bool):
                value = field.args["first"].default_value
            return max(1, min(value, MAX_PAGE)) if isinstance(value, int) else MAX_PAGE
        return self.bounds.get(f"{parent.name}.{node.name.value}", 1)


def _field(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        return parent.fields.get(name)
    return None


class ParserLimits(SchemaExtension):
    """Give graphql-core's parser its limits (Strawberry's MaxTokensLimiter sets only the
    deprecated `max_tokens`); a document over them fails to parse (GRAPHQL_PARSE_FAILED)."""

    def on_operation(self) -> Iterator[None]:
        self.execution_context.parse_options.update({  # type: ignore[typeddict-item]
            "max_lexical_tokens": MAX_TOKENS, "max_comments": MAX_COMMENTS, "max_source_length": MAX_SOURCE_LENGTH,
        })
        yield


def complexity_limit(max_complexity: int) -> type[SchemaExtension]:
    class ComplexityLimit(SchemaExtension):
        """Refuses an operation whose cost (with its variables) is above the limit, before validation
        and execution; graphql-core's validation rules cannot see variables, so this is an extension."""

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            if context.graphql_document is not None:
                schema = context.schema._schema  # noqa: SLF001 - the graphql-core schema Strawberry built
                cost, operation = QueryCost(schema, context.graphql_document, context.variables).of(context.operation_name)
                if cost > max_complexity:
                    context.pre_execution_errors = [GraphQLError(
                        f"query cost {cost} exceeds the limit of {max_complexity}; ask for smaller pages or fewer lists",
                        operation, extensions={"code": "QUERY_TOO_COMPLEX", "cost": cost, "limit": max_complexity},
                    )]
            yield

    return ComplexityLimit
