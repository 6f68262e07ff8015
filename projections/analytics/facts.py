"""The drill-down's own table: one narrow row per enterprise with what the figures group and test.

Why a table of its own. "Did enterprise E report within [from, to]" for every enterprise of the
province (100,000 rows) cost one index probe into the daily activity per enterprise and flag: about
2 s on PostgreSQL. Here each row carries the sorted business days (days since 2000-01-01) on which
the enterprise identified or changed a risk (`risk_days`) and on which it registered a hazard or
recorded an inspection (`hazard_days`). On PostgreSQL the test is two binary searches inside the
row, `width_bucket(to, days) > width_bucket(from - 1, days)` (width_bucket over a sorted array
counts the elements <= its operand), so a province-level drill-down is one scan of this table.
SQLite (development, small data) tests the same days with json_each.

The row also carries the columns the drill-down groups and filters by (region codes, industry,
supervision level, registration, credit code for the page order and the caller's scope), so the
grouped query reads nothing else.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, MetaData, String, Table, TypeDecorator
from sqlalchemy.dialects import postgresql

from projections.schema import ID, Time, placement_columns

metadata = MetaData()  # templates only: copied per generation (projections/schema.py)

EPOCH = date(2000, 1, 1)


def day_number(day: date) -> int:
    return (day - EPOCH).days


class DayList(TypeDecorator):
    """A sorted list of day numbers: integer[] on PostgreSQL (width_bucket), JSON elsewhere."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(Integer))
        return dialect.type_descriptor(JSON())

    def process_result_value(self, value: Any, dialect: Any) -> list[int]:
        return list(value) if value is not None else []


drilldown_facts = Table(
    "rm_drilldown_facts",
    metadata,
    Column("enterprise_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
    *placement_columns(),
    Column("registered_at", Time, nullable=False),
    Column("deregistered_at", Time),
    Column("risk_days", DayList, nullable=False),
    Column("hazard_days", DayList, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_drilldown_facts_credit_code", "credit_code", unique=True),
    # The page of enterprises is ordered by credit code within a city or county: without the code
    # in these indexes PostgreSQL walked the credit-code index and skipped ~98 % of it for a county.
    Index("ix_rm_drilldown_facts_city", "city_code", "credit_code"),
    Index("ix_rm_drilldown_facts_county", "county_code", "credit_code"),
)

# Risk change events do not name their enterprise; a projection reads only its own tables.
drilldown_risk_owners = Table(
    "rm_drilldown_risk_owners",
    metadata,
    Column("risk_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
)
