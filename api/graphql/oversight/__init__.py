"""The oversight feature of the GraphQL schema: time-limit supervision and performance assessment
(county seed: 时限监察, 绩效考核), merged into Query."""

from api.graphql.oversight.assessment import AssessmentQuery
from api.graphql.oversight.queries import OversightQuery

__all__ = ["AssessmentQuery", "OversightQuery"]
