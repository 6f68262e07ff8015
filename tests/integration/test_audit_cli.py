"""`ledger audit history | state | rebuild-report` on a demo province, on SQLite and PostgreSQL: the
rebuilt drill-down and closed-loop report are identical to the live ones (now and at an earlier
position), a live read-model row changed by hand is reported as drift (exit 1) field by field,
and the scratch tables are gone afterwards while the live ones were only read."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import create_engine, inspect, select, text
from typer.testing import CliRunner

from api.cli import app
from projections.schema import tracking

FROM, TO = "2020-01-01", "2030-12-31"


def ledger(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@pytest.fixture
def province(database: str) -> str:
    code, out = ledger("demo", "seed", "--enterprises", "12", "--days", "30", "--seed", "4")
    assert code == 0, out
    code, out = ledger("projections", "run", "--once")
    assert code == 0, out
    return database


def live_table(url: str, projection: str, template: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            generation = conn.execute(select(tracking.c.generation).where(tracking.c.name == projection)).scalar_one()
    finally:
        engine.dispose()
    return f"{template}_g{generation}"


def run_sql(url: str, statement: str) -> int:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(statement)).rowcount
    finally:
        engine.dispose()


def positions(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {r.name: r.position for r in conn.execute(select(tracking))}
    finally:
        engine.dispose()


def scratch_left(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        return [t for t in inspect(engine).get_table_names() if t.startswith("zz_audit_")]
    finally:
        engine.dispose()


def test_rebuilt_reports_are_identical_and_a_changed_row_is_drift(province: str) -> None:
    before = positions(province)
    head = before["closed_loop"]
    code, out = ledger("audit", "rebuild-report", "drilldown", "--region", "410000", "--from", FROM, "--to", TO)
    assert code == 0 and out.strip().endswith("identical"), out
    assert f"registers {before['registers']}, drilldown {before['drilldown']}" in out
    code, out = ledger("audit", "rebuild-report", "closed-loop", "--region", "410000", "--from", FROM, "--to", TO)
    assert code == 0 and "identical" in out and f"closed_loop {head}" in out, out
    for args in (["--at-position", str(head * 2 // 3)], ["--at-position", str(head // 2), "--judged-on", "2030-01-01"]):
        code, out = ledger("audit", "rebuild-report", "closed-loop", "--region", "410000", "--from", FROM, "--to", TO,
                           *args, "--json")
        assert code == 0, out
        found = json.loads(out)
        assert found["identical"] and found["live_digest"] == found["rebuilt_digest"]
        assert found["positions"] == {"closed_loop": int(args[1])}

    facts = live_table(province, "drilldown", "rm_drilldown_facts")
    assert run_sql(province, f"UPDATE {facts} SET industry = 'tobacco' WHERE credit_code = "
                             f"(SELECT MIN(credit_code) FROM {facts})") == 1
    code, out = ledger("audit", "rebuild-report", "drilldown", "--region", "410000", "--from", FROM, "--to", TO)
    assert code == 1 and "DRIFTED" in out, out
    assert "by_industry[tobacco].totals.enterprises: live 1, rebuilt None" in out

    # A changed cell (what the province's report reads for whole quarters and months) is drift too.
    cells = live_table(province, "closed_loop", "rm_cl_cells")
    chosen = (f"cell_key = (SELECT MIN(cell_key) FROM {cells} WHERE dim = 'child' AND kind = '' "
              f"AND unit LIKE '%Q%' AND raised > 0)")
    assert run_sql(province, f"UPDATE {cells} SET raised = raised + 7 WHERE {chosen}") == 1
    code, out = ledger("audit", "rebuild-report", "closed-loop", "--region", "410000", "--from", FROM, "--to", TO,
                       "--json")
    assert code == 1, out
    assert any(d["field"] == "totals.raised" for d in json.loads(out)["differences"])
    assert run_sql(province, f"UPDATE {cells} SET raised = raised - 7 WHERE {chosen}") == 1

    reminders = live_table(province, "closed_loop", "rm_cl_reminders")
    assert run_sql(province, f"UPDATE {reminders} SET kind = CASE WHEN kind = 'rectification_overdue' THEN "
                             f"'risk_identification' ELSE 'rectification_overdue' END WHERE reminder_id = "
                             f"(SELECT MIN(reminder_id) FROM {reminders})") == 1
    code, out = ledger("audit", "rebuild-report", "closed-loop", "--region", "410000", "--from", FROM, "--to", TO,
                       "--json")
    assert code == 1, out
    found = json.loads(out)
    assert not found["identical"] and found["live_digest"] != found["rebuilt_digest"]
    assert any(d["field"].startswith("totals.raised_by_kind.") for d in found["differences"])

    assert scratch_left(province) == []
    assert positions(province) == before  # the live read models were read, not moved


def test_drilldown_refuses_a_position_it_cannot_answer_for(province: str) -> None:
    code, out = ledger("audit", "rebuild-report", "drilldown", "--region", "410000", "--from", FROM, "--to", TO,
                       "--at-position", "3")
    assert code == 2 and "answers only for its read models' current positions" in out, out
    code, out = ledger("audit", "rebuild-report", "closed-loop", "--region", "410000", "--from", FROM, "--to", TO,
                       "--at-position", str(10**9))
    assert code == 2 and "beyond" in out, out
    for bad in (["--region", "999999"], ["--region", "410000", "--from", "2026-13-01"]):
        args = ["audit", "rebuild-report", "closed-loop", "--from", FROM, "--to", TO, *bad]
        assert ledger(*args)[0] == 2
    assert scratch_left(province) == []


def test_history_and_state_from_the_command_line(province: str) -> None:
    code, out = ledger("audit", "history", "--type", "Risk.Identified", "--limit", "3", "--json")
    assert code == 0, out
    page = json.loads(out)
    assert len(page["items"]) == 3 and page["next_after_position"] == page["items"][-1]["position"]
    risk = page["items"][0]
    code, out = ledger("audit", "history", "--credit-code", risk["credit_code"], "--all", "--json")
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines()]
    assert risk["position"] in [r["position"] for r in rows] and {r["credit_code"] for r in rows} == {risk["credit_code"]}
    code, out = ledger("audit", "history", "--credit-code", risk["credit_code"])
    assert code == 0 and "Enterprise.Registered" in out, out
    assert ledger("audit", "history", "--credit-code", "91410000NOBODY0000")[0] == 1
    assert ledger("audit", "history", "--from", "yesterday")[0] == 2

    code, out = ledger("audit", "state", risk["aggregate_id"], "--as-of", str(risk["position"]))
    assert code == 0, out
    state = json.loads(out)
    assert (state["version"], state["position"], state["type"]) == (1, risk["position"], "Risk")
    code, out = ledger("audit", "state", risk["aggregate_id"], "--as-of", risk["recorded_at"])
    assert code == 0 and json.loads(out)["position"] >= risk["position"], out
    assert ledger("audit", "state", risk["aggregate_id"], "--as-of", str(risk["position"] - 1))[0] == 1
    assert ledger("audit", "state", "not-a-uuid")[0] == 2
