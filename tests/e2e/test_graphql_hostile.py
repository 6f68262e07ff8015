"""GraphQL against hostile and malformed requests, and through a database outage.

Malformed requests are 400 problem+json with GraphQL-shaped `errors` (never 500), every refusal
carries an `extensions.code`, each refused request is one INFO log line without a traceback, list
fields count in the cost limit, and a database outage answers 503 + Retry-After with UNAVAILABLE.
The HTTP cases run on SQLite (they never reach the database); the outage runs on a private
PostgreSQL database whose connections are killed and refused (tests/support/outage.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import strawberry
from fastapi.testclient import TestClient
from httpx import Response

from api.app import create_app
from api.bootstrap import Services, bootstrap
from api.graphql import build_schema
from api.graphql.limits import LIST_BOUNDS, MAX_TOKENS, UnboundedListField, list_bounds, list_fields
from api.schemas.risks import MeasuresRevision, RiskIdentification
from api.settings import Settings
from projections.runner import ProjectionRunner
from tests.conftest import add_user, login
from tests.support.outage import database_down
from tests.support.postgres import fresh_database

RISKS = "{ risks { asOfPosition edges { cursor } } }"
JSON = {"content-type": "application/json"}


@dataclass
class Api:
    services: Services
    client: TestClient
    admin: dict[str, str]

    def post(self, body: Any = None, *, content: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
        if content is None:
            content = json.dumps(body).encode()
        return self.client.post("/graphql", content=content, headers={**self.admin, **JSON, **(headers or {})})


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    path: Path = tmp_path_factory.mktemp("graphql_hostile")
    settings = Settings(database_url=f"sqlite:///{path / 'ledger.db'}", projections="off",
                        jwt_secret="hostile-" + uuid.uuid4().hex, subscription_check_seconds=0)
    services = bootstrap(settings)
    with TestClient(create_app(services), raise_server_exceptions=False) as client:
        admin = login(client, add_user(services, "admin"))
        runner = ProjectionRunner(services.ledger)
        runner.catch_up()
        runner.close()
        yield Api(services, client, admin)
    services.close()


def server_log(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    """What the server logged (the test client's own httpx lines left out)."""
    return [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]


def assert_one_info_line(caplog: pytest.LogCaptureFixture, code: str) -> None:
    records = server_log(caplog)
    assert len(records) == 1, [r.getMessage() for r in records]
    [record] = records
    assert record.levelno == logging.INFO and record.exc_info is None, record
    assert code in record.getMessage() and "\n" not in record.getMessage()
    assert "Traceback" not in caplog.text


def assert_bad_request(response: Response, code: str = "BAD_REQUEST") -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 400 and body["detail"]
    assert body["errors"][0]["extensions"]["code"] == code and body["errors"][0]["message"]
    return body


# --- malformed requests: 400, never 500 ------------------------------------------------------------

DEEP_VARIABLES = b'{"query": "' + RISKS.encode() + b'", "variables": {"a": ' + b"[" * 10_000 + b"]" * 10_000 + b"}}"

MALFORMED_BODIES = {
    "invalid UTF-8": b'{"query": "' + RISKS.encode() + b'", "operationName": "\xff\xfe"}',
    "not JSON": b"{query: nope",
    "a JSON number": b"5",
    "a JSON string": b'"{ risks { asOfPosition } }"',
    "JSON null": b"null",
    "a batch (not enabled)": b"[]",
    "variables nested 10,000 deep": DEEP_VARIABLES,
    "a query that is not a string": json.dumps({"query": 5}).encode(),
    "a query that is a list": json.dumps({"query": ["{ risks { asOfPosition } }"]}).encode(),
    "variables that are not an object": json.dumps({"query": RISKS, "variables": [1]}).encode(),
    "no query": json.dumps({"variables": {}}).encode(),
}


@pytest.mark.parametrize("case", MALFORMED_BODIES)
def test_a_malformed_body_is_a_400_with_a_json_error(api: Api, case: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        assert_bad_request(api.post(content=MALFORMED_BODIES[case]))
    assert_one_info_line(caplog, "BAD_REQUEST")


UNPARSABLE_QUERIES = {
    "a syntax error": "{ risks { edges ",
    "nested thousands deep": "{ " + "risks { " * 3000 + "}" * 3001,
    "more tokens than the parser accepts": "{ risks { edges { " + "cursor " * (MAX_TOKENS + 10) + "} } }",
    "a huge comment run": "{ risks { asOfPosition } }\n" + "#\n" * 10_000,
}


@pytest.mark.parametrize("case", UNPARSABLE_QUERIES)
def test_a_query_that_does_not_parse_is_a_400(api: Api, case: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG):
        body = assert_bad_request(api.post({"query": UNPARSABLE_QUERIES[case]}), "GRAPHQL_PARSE_FAILED")
    assert body["errors"][0]["message"].startswith("Syntax Error")
    assert_one_info_line(caplog, "GRAPHQL_PARSE_FAILED")


def test_a_get_with_malformed_variables_is_a_400(api: Api) -> None:
    response = api.client.get("/graphql", params={"query": RISKS, "variables": "[" * 5000}, headers=api.admin)
    assert_bad_request(response)


# --- refusals carry a code and are logged in one line ----------------------------------------------

REFUSALS = {
    "unknown field": ("{ nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
    "too deep": ("{ risks(first: 1) { edges { node { enterprise { risks(first: 1) { enterprise { risks(first: 1) {"
                 " enterprise { risks(first: 1) { riskCode } } } } } } } } } }", {}, "QUERY_TOO_DEEP"),
    "too many aliases": ("{ " + " ".join(f"a{i}: risks {{ asOfPosition }}" for i in range(20)) + " }", {},
                         "TOO_MANY_ALIASES"),
    "too complex": ("{ risks(first: 500) { edges { node { enterprise { hazards(first: 500) { hazardCode } } } } } }", {},
                    "QUERY_TOO_COMPLEX"),
    "a variable of the wrong type": ("query Q($n: Int) { risks(first: $n) { asOfPosition } }", {"n": "ten"},
                                     "BAD_USER_INPUT"),
    "a date that is not a date": ('query Q($d: Date!) { drilldown(regionCode: "410000", from: $d, to: $d) '
                                  "{ asOfPosition } }", {"d": "someday"}, "BAD_USER_INPUT"),
    "an argument out of range": ("{ risks(first: 0) { asOfPosition } }", {}, "BAD_USER_INPUT"),
    "a mutation": ("mutation { nope }", {}, "GRAPHQL_VALIDATION_FAILED"),
}


@pytest.mark.parametrize("case", REFUSALS)
def test_every_refusal_has_a_code_and_one_info_line(api: Api, case: str, caplog: pytest.LogCaptureFixture) -> None:
    query, variables, code = REFUSALS[case]
    with caplog.at_level(logging.DEBUG):
        response = api.post({"query": query, "variables": variables, "operationName": None})
    assert response.status_code == 200, response.text  # GraphQL-over-HTTP: a GraphQL error, not an HTTP one
    errors = response.json()["errors"]
    assert [e["extensions"]["code"] for e in errors] == [code] * len(errors), errors
    assert_one_info_line(caplog, code)


def test_the_log_line_names_the_operation(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        api.post({"query": "query Dashboard { nope }", "operationName": "Dashboard"})
    [record] = server_log(caplog)
    assert "operation=Dashboard" in record.getMessage()


def test_fourteen_refusals_make_fourteen_lines(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    """The outside test: 14 refusals made 298 log lines."""
    with caplog.at_level(logging.DEBUG):
        for query, variables, _ in REFUSALS.values():
            api.post({"query": query, "variables": variables})
        for query in UNPARSABLE_QUERIES.values():
            api.post({"query": query})
        api.post(content=MALFORMED_BODIES["invalid UTF-8"])
        api.post(content=MALFORMED_BODIES["variables nested 10,000 deep"])
    assert len(REFUSALS) + len(UNPARSABLE_QUERIES) + 2 == 14
    assert len(server_log(caplog)) == 14 and "Traceback" not in caplog.text


# --- cost: list fields count -----------------------------------------------------------------------

LIST_HEAVY = """query L($first: Int) { risks(first: $first) { edges { node { riskCode hazardFactors accidentTypes
  controlMeasures { description controlLevel department responsiblePerson } } } } }"""


def test_a_page_of_risks_with_all_their_lists_is_costed_by_the_lists(api: Api) -> None:
    body = api.post({"query": LIST_HEAVY, "variables": {"first": 500}}).json()
    [error] = body["errors"]
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    # Each field counts 1 plus its selections, times the items it can return.
    node = (1 + LIST_BOUNDS["Risk.hazardFactors"] + LIST_BOUNDS["Risk.accidentTypes"]
            + LIST_BOUNDS["Risk.controlMeasures"] * (1 + 4))
    edges = 1 + (1 + node)
    assert error["extensions"]["cost"] == 500 * (1 + edges)
    assert "errors" not in api.post({"query": LIST_HEAVY, "variables": {"first": 100}}).json()


def test_every_list_field_of_the_schema_has_a_bound_or_a_page_size() -> None:
    schema = build_schema(Settings(database_url="sqlite://"))._schema
    fields = list_fields(schema)
    assert {"Risk.hazardFactors", "Risk.accidentTypes", "Risk.controlMeasures", "Enterprise.risks"} <= fields.keys()
    bounds = list_bounds(schema)
    for key, field in fields.items():
        assert "first" in field.args or bounds[key] >= 1, key


def test_a_list_field_without_a_bound_stops_the_schema_from_building() -> None:
    @strawberry.type
    class Query:
        tags: list[str]

    with pytest.raises(UnboundedListField, match="Query.tags"):
        list_bounds(strawberry.Schema(query=Query)._schema)


def test_the_bounds_cover_the_data_standards_list_lengths() -> None:
    def max_length(model: type, field: str) -> int:
        return next(m.max_length for m in model.model_fields[field].metadata if hasattr(m, "max_length"))

    assert LIST_BOUNDS["Risk.hazardFactors"] >= max_length(RiskIdentification, "hazard_factors")
    assert LIST_BOUNDS["Risk.accidentTypes"] >= max_length(RiskIdentification, "accident_types")
    assert LIST_BOUNDS["Risk.controlMeasures"] >= max(max_length(RiskIdentification, "control_measures"),
                                                      max_length(MeasuresRevision, "control_measures"))


# --- a database outage -----------------------------------------------------------------------------


def test_a_database_outage_is_a_503_with_unavailable_not_an_unexpected_error(caplog: pytest.LogCaptureFixture) -> None:
    with fresh_database("ledger_gql_outage") as url:
        settings = Settings(database_url=url, projections="off", jwt_secret="outage-" + uuid.uuid4().hex,
                            subscription_check_seconds=0, user_check_seconds=3600)
        services = bootstrap(settings)
        try:
            with TestClient(create_app(services), raise_server_exceptions=False) as client:
                admin = login(client, add_user(services, "admin"))
                other = login(client, add_user(services, "auditor"))  # its standing is not cached yet
                runner = ProjectionRunner(services.ledger)
                runner.catch_up()
                runner.close()
                assert "errors" not in client.post("/graphql", json={"query": RISKS}, headers=admin).json()

                caplog.clear()
                with caplog.at_level(logging.INFO), database_down(url):
                    in_resolver = client.post("/graphql", json={"query": RISKS}, headers=admin)
                    again = client.post("/graphql", json={"query": RISKS}, headers=admin)
                    authenticating = client.post("/graphql", json={"query": RISKS}, headers=other)
                for response in (in_resolver, again, authenticating):
                    assert response.status_code == 503, response.text
                    assert response.headers["retry-after"] == "5"
                    assert response.headers["content-type"].startswith("application/problem+json")
                    body = response.json()
                    assert body["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
                    assert "Unexpected error" not in response.text and "psycopg2" not in response.text
                outage_lines = [r for r in server_log(caplog) if r.name != "ledger.availability"]
                assert outage_lines == [] and "Traceback" not in caplog.text  # the monitor's one line, no more
                assert services.availability.refused_total >= 3

                back = client.post("/graphql", json={"query": RISKS}, headers=admin)
                assert back.status_code == 200 and "errors" not in back.json()
        finally:
            services.close()
