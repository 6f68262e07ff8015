"""docs/ministry-exchange.md is generated from the declarations; a stale committed file fails here."""

from __future__ import annotations

from projections.ministry import docs
from projections.ministry.catalogue import CATALOGUE


def test_the_committed_document_is_current() -> None:
    assert docs.is_current(), "docs/ministry-exchange.md is stale: run `ledger frontend docs`"


def test_the_document_lists_every_table_and_its_index_names() -> None:
    text = docs.render()
    for table in CATALOGUE:
        assert f"#### {table.name}" in text
        assert f"`{table.index_name(30)}`" in text
    assert "2026120200002" in text and "410000" in text
