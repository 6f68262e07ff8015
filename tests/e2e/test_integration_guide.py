"""The integration guide's examples are run, in order, against the app: what a newcomer copies from
docs/integration-guide.md works (apply, approve, secret hand-over, token, every command body).

A step is a fenced ```http block right after a `<!-- guide-step: NAME [keep=FIELD:NAME] -->` line:
a request line, headers, a blank line, the body, a blank line, then `-> STATUS {json}`. `<name>`
and `{name}` are filled in from the fields of earlier answers (or the logins the test makes);
`keep=access_token:portal_token` stores an answer's field under another name."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.bootstrap import Services
from tests.conftest import PASSWORD, add_user, login
from tests.e2e.helpers import register_enterprise

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "integration-guide.md"
STEP = re.compile(r"^([ \t]*)<!-- guide-step: (\S+)(?: keep=(\S+):(\S+))? -->\n\1```http\n(.*?)\n\1```", re.M | re.S)
PLACEHOLDER = re.compile(r"<([a-z_]+)>|\{([a-z_]+)\}")


@dataclass(frozen=True)
class Step:
    name: str
    method: str
    path: str
    headers: dict[str, str]
    body: str
    status: int
    answer: dict[str, Any]
    keep: tuple[str, str] | None


def parse(text: str) -> Step:
    request, _, expected = text.partition("\n-> ")
    head, _, body = request.strip().partition("\n\n")
    request_line, *header_lines = head.splitlines()
    method, path = request_line.split()
    headers = dict(line.split(": ", 1) for line in header_lines)
    status, _, answer = expected.strip().partition(" ")
    return Step("", method, path, headers, body.strip(), int(status), json.loads(answer) if answer else {}, None)


def steps() -> list[Step]:
    found = []
    for match in STEP.finditer(GUIDE.read_text(encoding="utf-8")):
        indent, name, keep_from, keep_as, block = match.groups()
        step = parse(block.replace("\n" + indent, "\n"))  # a step inside a list item is indented
        found.append(Step(name, step.method, step.path, step.headers, step.body, step.status, step.answer,
                          (keep_from, keep_as) if keep_from else None))
    return found


def fill(text: str, known: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in known, f"the guide uses <{name}> before any answer gave it"
        return known[name]

    return PLACEHOLDER.sub(value, text)


def test_the_guide_has_the_whole_flow() -> None:
    assert [s.name for s in steps()] == [
        "login", "apply", "approve", "secret", "token", "risk", "upgrade", "measures", "hazard",
        "rectification", "acceptance", "inspection", "read", "invalidate",
    ]
    hazard = json.loads(next(s for s in steps() if s.name == "hazard").body)
    assert len(hazard["rectification_plan"]) == 6 and hazard["level"] == "major"


def test_the_guides_examples_run_against_the_ledger(client: TestClient, services: Services) -> None:
    credit_code = register_enterprise(services)
    known = {"username": add_user(services, "enterprise", credit_code=credit_code), "password": PASSWORD,
             "admin_token": login(client, add_user(services, "admin"))["Authorization"].removeprefix("Bearer ")}
    for step in steps():
        response = client.request(step.method, fill(step.path, known), headers=fill_all(step.headers, known),
                                  content=fill(step.body, known).encode() if step.body else None)
        assert response.status_code == step.status, (step.name, response.text)
        answer = response.json()
        assert set(step.answer) <= set(answer), (step.name, set(step.answer) - set(answer))
        known |= {name: str(value) for name, value in answer.items() if isinstance(value, str | int)}
        if step.keep:
            known[step.keep[1]] = answer[step.keep[0]]
    assert known["client_secret"] and known["status"] == "accepted"


def fill_all(headers: dict[str, str], known: dict[str, str]) -> dict[str, str]:
    return {name: fill(value, known) for name, value in headers.items()}
