"""Read-model tables: the tracking table, and the templates of every projection's tables.

Each projection's tables exist in *generations*: the physical table of template `rm_risks` in
generation 3 is `rm_risks_g3`. The projection's tracking row names the live generation, so a
rebuild can fill generation n+1 while generation n keeps serving, and the swap is one UPDATE of
that row (see projections/runner.py). The templates here are never created themselves; they are
copied per generation with `generation_tables()`.

Times are stored in UTC (`UtcDateTime`): SQLite drops offsets, so an aware time with +08:00
would otherwise compare wrongly against one in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on PostgreSQL and SQLite alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: read models store aware times only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = String(36)  # aggregate ids as text (uuid): the same on both databases
Time = UtcDateTime

metadata = MetaData()


def placement_columns() -> list[Column]:
    """Where an enterprise sits for supervision: its region code split into province / city /
    county (projections/register/fold.py region_parts), industry and supervision level. Fresh
    Column objects on every call: each table that carries them (the register, the drill-down
    facts) gets its own, and the scope conditions (projections/scope.py) read them by name."""
    return [
        Column("region_code", String(6), nullable=False),
        Column("province_code", String(6)),
        Column("city_code", String(6)),
        Column("county_code", String(6)),
        Column("industry", String(40), nullable=False),
        Column("supervision_level", String(10), nullable=False),
    ]

# One row per live projection (name = projection name) and per rebuild in progress
# (name = "<projection>~rebuild"): the position applied, the code version that applied it, and the
# generation of tables the rows were written to.
tracking = Table(
    "projection_tracking",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Column("generation", Integer, nullable=False),
)

# Events a projection could not apply and skipped (projections/failures.py), per projection, table
# generation (the tables that lack the event) and log position.
failures = Table(
    "projection_failures",
    metadata,
    Column("projection", String(100), primary_key=True),
    Column("generation", Integer, primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("topic", Text, nullable=False),
    Column("error", Text, nullable=False),  # "KeyError: 9 (projections/register/fold.py:214 in risk_identified)"
    Column("recorded_at", UtcDateTime(), nullable=False),
)


def create_bookkeeping(engine: Any) -> None:
    """The tracking and failure tables (no generations), if missing."""
    for table in (tracking, failures):
        table.create(engine, checkfirst=True)


# --- templates (copied per generation) ------------------------------------------------------------

enterprises = Table(
    "rm_enterprises",
    metadata,
    Column("enterprise_id", ID, primary_key=True),
    Column("credit_code", String(18), nullable=False),
    Column("name", String(200), nullable=False),
    *placement_columns(),
    Column("status", String(16), nullable=False),  # active | deregistered
    Column("registered_at", Time, nullable=False),
    Column("deregistered_at", Time),
    Column("first_risk_identified_at", Time),
    Column("last_risk_report_at", Time),  # identified, level changed or measures revised
    Column("last_hazard_registered_at", Time),
    Column("last_inspection_at", Time),
    Column("risks_low", Integer, nullable=False),  # valid risks by current level
    Column("risks_general", Integer, nullable=False),
    Column("risks_significant", Integer, nullable=False),
    Column("risks_major", Integer, nullable=False),
    Column("hazards_open_general", Integer, nullable=False),  # open = rectifying or awaiting acceptance
    Column("hazards_open_major", Integer, nullable=False),
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_enterprises_credit_code", "credit_code", unique=True),
    Index("ix_rm_enterprises_city", "city_code", "industry"),
    Index("ix_rm_enterprises_county", "county_code", "industry"),
)

risks = Table(
    "rm_risks",
    metadata,
    Column("risk_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("risk_code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("location", String(200), nullable=False),
    Column("assessment_method", String(16), nullable=False),
    Column("assessment_score", Float, nullable=False),
    Column("inherent_level", Integer, nullable=False),
    Column("level", Integer, nullable=False),  # 1 low .. 4 major (domain.shared.codes.RiskLevel)
    Column("status", String(16), nullable=False),  # valid | invalidated
    Column("identified_at", Time, nullable=False),
    Column("level_changed_at", Time, nullable=False),
    Column("last_reported_at", Time, nullable=False),
    Column("invalidated_at", Time),
    Column("details", JSON, nullable=False),  # hazard_factors, accident_types, control_measures, reasons
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_risks_enterprise", "enterprise_id", "status", "level"),
)

hazards = Table(
    "rm_hazards",
    metadata,
    Column("hazard_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("hazard_code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("description", Text, nullable=False),
    Column("level", String(10), nullable=False),  # general | major
    Column("source", String(20), nullable=False),
    Column("risk_id", ID),
    Column("governance_type", String(10), nullable=False),
    Column("responsible_person", String(50), nullable=False),
    Column("found_at", Time, nullable=False),
    Column("rectification_deadline", Time),
    Column("status", String(24), nullable=False),  # domain.hazards.aggregate.HazardStatus
    Column("rectified_at", Time),
    Column("closed_at", Time),
    Column("invalidated_at", Time),
    Column("failed_acceptances", Integer, nullable=False),
    Column("details", JSON, nullable=False),  # rectification_plan, rectification, acceptances
    Column("version", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_hazards_enterprise", "enterprise_id", "status", "rectification_deadline"),
)

# One row per investigation record (隐患排查记录), for the enterprise detail view and lists.
inspections = Table(
    "rm_inspections",
    metadata,
    Column("inspection_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
    Column("inspection_code", String(64)),
    Column("scope", String(500)),  # the Inspection aggregate's `scope` text (the domain allows 500)
    Column("hazards_found", Integer),
    Column("inspector", String(50)),
    Column("performed_at", Time, nullable=False),
    Column("version", Integer),
    Column("position", BigInteger),
    Index("ix_rm_inspections_enterprise", "enterprise_id", "performed_at"),
)

daily_activity = Table(
    "rm_daily_activity",
    metadata,
    Column("enterprise_id", ID, primary_key=True),
    Column("day", Date, primary_key=True),  # business date in Asia/Shanghai of the events' `at`
    Column("risks_identified", Integer, nullable=False),
    Column("risks_changed", Integer, nullable=False),  # level changes and measure revisions
    Column("hazards_registered", Integer, nullable=False),
    Column("inspections_recorded", Integer, nullable=False),
)

# The activity projection's own risk -> enterprise map: risk change events do not name the
# enterprise, and a projection may read only its own tables (it can be at another position).
activity_risk_owners = Table(
    "rm_activity_risk_owners",
    metadata,
    Column("risk_id", ID, primary_key=True),
    Column("enterprise_id", ID, nullable=False),
)


# --- generations ----------------------------------------------------------------------------------


def physical_name(template: Table, generation: int) -> str:
    return f"{template.name}_g{generation}"


@lru_cache(maxsize=256)
def _generation(templates: tuple[Table, ...], generation: int) -> tuple[MetaData, dict[str, Table]]:
    md = MetaData()
    tables: dict[str, Table] = {}
    for template in templates:
        name = physical_name(template, generation)
        table = Table(name, md, *(column._copy() for column in template.columns))
        for index in template.indexes:
            index_name = f"{index.name}_g{generation}"
            Index(index_name, *(table.c[c.name] for c in index.columns), unique=index.unique)
        tables[template.name] = table
    return md, tables


def generation_tables(templates: tuple[Table, ...], generation: int) -> dict[str, Table]:
    """The physical tables of one generation, keyed by template name (cached: build once)."""
    return _generation(tuple(templates), generation)[1]


def generation_metadata(templates: tuple[Table, ...], generation: int) -> MetaData:
    return _generation(tuple(templates), generation)[0]
