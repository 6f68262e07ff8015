"""Whatever the log holds can be read back over REST: views carry no input rules, so an event
written before a rule existed (or by another writer) never turns a read into a 500."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from api.bootstrap import Services
from domain.enterprises.aggregate import Enterprise
from domain.inspections.aggregate import Inspection
from domain.risks.aggregate import Risk
from domain.shared.codes import RiskLevel
from domain.shared.meta import Meta
from tests.e2e.helpers import enterprise_login

POISON = "a\x00b\x1bc\x7f"


def test_stored_control_characters_read_back_as_they_are(client: TestClient, services: Services) -> None:
    credit_code, _, headers = enterprise_login(client, services)
    enterprise_id = str(Enterprise.create_id(credit_code))
    meta = Meta("test:direct-writer", "cli", datetime(2026, 11, 23, tzinfo=UTC), "r", "c")
    at = datetime(2026, 11, 20, tzinfo=UTC)
    risk = Risk(enterprise_id, "R-" + POISON, POISON, POISON, [POISON], ["01"], "lec", 10.0, int(RiskLevel.LOW),
                int(RiskLevel.LOW), [{"description": POISON, "control_level": POISON, "department": POISON,
                                      "responsible_person": POISON}], at, meta)
    inspection = Inspection(enterprise_id=enterprise_id, inspection_code="I-" + POISON, scope=POISON, hazards_found=0,
                            inspector=POISON, at=at, meta=meta)
    services.ledger.save(risk, inspection)

    got = client.get(f"/api/v1/risks/{risk.id}", headers=headers)
    assert got.status_code == 200, got.text
    assert got.json()["name"] == POISON and got.json()["control_measures"][0]["department"] == POISON
    got = client.get(f"/api/v1/inspections/{inspection.id}", headers=headers)
    assert got.status_code == 200, got.text
    assert got.json()["scope"] == POISON
