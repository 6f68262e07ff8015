"""Tables of the closed-loop report (监管信息闭环情况分析): fact rows that carry the log position of
each milestone, so one query answers "as the ledger stood at position P" by comparing positions.

Every row carries the enterprise's placement as it was when the reminder was raised (region codes,
industry, supervision level, credit code: what the report groups by and the caller's scope tests)
and the reminder's kind and raising day, so a figure reads one table and joins nothing.

Keys are text ("<reminder id>:<level>", "<reminder id>:<level>:<username>"): the runner's row cache
reads back tables by a single-column key (projections/store.py).
"""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Date, Index, Integer, MetaData, String, Table, Text

from projections.schema import ID, Time, placement_columns

metadata = MetaData()  # templates only: copied per generation (projections/schema.py)


def _reminder_columns(*, key: bool = False) -> list[Column]:
    """What every row knows of its reminder: who, where, which kind, raised when."""
    return [
        Column("reminder_id", ID, primary_key=key, nullable=False),
        Column("credit_code", String(18), nullable=False),
        Column("enterprise_name", String(200), nullable=False),
        *placement_columns(),
        Column("kind", String(32), nullable=False),
        Column("raised_day", Date, nullable=False),  # business day (Asia/Shanghai) of the raising
        Column("raised_position", BigInteger, nullable=False),
    ]


def _outcome_columns() -> list[Column]:
    """What decides an escalation's outcome as of a position (projections/supervision/closed_loop.py)."""
    return [
        Column("level", Integer, nullable=False),
        Column("escalated_position", BigInteger, nullable=False),
        Column("respond_by", Date, nullable=False),  # answered on or before it: in time
        Column("answered_position", BigInteger),  # the first answer to this level, by anyone
        Column("answered_in_time", Integer),  # 1 / 0 for that first answer
        Column("answered_days", Integer),  # its response days (the rule's day kind)
        Column("next_position", BigInteger),  # climbed to the next tier here
        Column("ended_position", BigInteger),  # the reminder resolved or closed here
        Column("ended_day", Date),
    ]


# One row per reminder.
closed_loop_reminders = Table(
    "rm_cl_reminders",
    metadata,
    *_reminder_columns(key=True),
    Column("raised_at", Time, nullable=False),
    Column("levels", Integer, nullable=False),  # escalation levels so far (their rows' keys)
    Column("escalated_position", BigInteger),  # the first escalation
    Column("resolved_position", BigInteger),
    Column("closed_position", BigInteger),
    Column("ended_day", Date),
    # Raising days of the reminder's predecessor and successor in its chains (closed_loop_rollup.py).
    *[Column(name, Date) for name in ("prev_any", "next_any", "prev_kind", "next_kind", "prev_comp_any",
                                      "next_comp_any", "prev_comp_kind", "next_comp_kind")],
    Column("position", BigInteger, nullable=False),
    Index("ix_rm_cl_reminders_day", "raised_day"),
    Index("ix_rm_cl_reminders_city", "city_code", "credit_code"),
    Index("ix_rm_cl_reminders_county", "county_code", "credit_code"),
    Index("ix_rm_cl_reminders_credit_code", "credit_code"),
)

# One row per escalation (reminder x level).
closed_loop_escalations = Table(
    "rm_cl_escalations",
    metadata,
    Column("escalation_key", String(48), primary_key=True),  # "<reminder id>:<level>"
    *_reminder_columns(),
    *_outcome_columns(),
    Column("tier", String(10), nullable=False),
    Column("escalated_at", Time, nullable=False),
    Column("usernames", JSON, nullable=False),  # the supervisors with a row of this escalation
    Column("open_day", Date),  # raised_day while in no roll-up cell (open), else NULL: an index of the open
    Index("ix_rm_cl_escalations_position", "escalated_position"),
    Index("ix_rm_cl_escalations_day", "raised_day"),
    Index("ix_rm_cl_escalations_open", "open_day"),
    Index("ix_rm_cl_escalations_credit_code", "credit_code"),
)

# One row per supervisor of an escalation: those told, and those who answered without being told
# (a supervisor whose scope covers the enterprise may answer: `notified` 0).
closed_loop_recipients = Table(
    "rm_cl_recipients",
    metadata,
    Column("recipient_key", String(130), primary_key=True),  # "<reminder id>:<level>:<username>"
    Column("username", String(80), nullable=False),
    Column("notified", Integer, nullable=False),
    *_reminder_columns(),
    *_outcome_columns(),
    Column("own_position", BigInteger),  # this supervisor's first answer to this level
    Column("own_in_time", Integer),
    Column("own_days", Integer),
    Column("open_day", Date),  # as on rm_cl_escalations
    Index("ix_rm_cl_recipients_username", "username"),
    Index("ix_rm_cl_recipients_day", "raised_day"),
    Index("ix_rm_cl_recipients_open", "open_day"),
)

# One row per stint of an enterprise on a month's plan: added (or reinstated) at `since_position`,
# withdrawn at `until_position` (None: still on it).
closed_loop_plan = Table(
    "rm_cl_plan",
    metadata,
    Column("stint_key", String(48), primary_key=True),  # "<entry id>:<stint number>"
    Column("entry_id", ID, nullable=False),
    Column("credit_code", String(18), nullable=False),
    Column("enterprise_name", String(200), nullable=False),
    *placement_columns(),
    Column("period", String(7), nullable=False),
    Column("origin", String(16), nullable=False),  # supervisor | system
    Column("added_by", String(80), nullable=False),
    Column("reminder_id", ID),
    Column("added_day", Date, nullable=False),  # business day of the adding (or reinstatement)
    Column("since_position", BigInteger, nullable=False),
    Column("until_position", BigInteger),
    Index("ix_rm_cl_plan_entry", "entry_id"),
)

# One row per plan entry: how many stints it has had, and whether the last is open (withdrawn: 0).
closed_loop_plan_entries = Table(
    "rm_cl_plan_entries",
    metadata,
    Column("entry_id", ID, primary_key=True),
    Column("stints", Integer, nullable=False),
    Column("open", Integer, nullable=False),
    Column("position", BigInteger, nullable=False),
)

# The first log position at which the ledger's reminders and plan reached each business day: the
# day a report "as of position P" judges deadlines on is the latest day reached by P.
closed_loop_days = Table(
    "rm_cl_days",
    metadata,
    Column("day", Date, primary_key=True),
    Column("first_position", BigInteger, nullable=False),
)

# The reminders of one enterprise in one child region (of the province) and industry:
# [[raising day, kind, complied 0/1, reminder id], ...] (projections/supervision/closed_loop_rollup.py).
closed_loop_chains = Table(
    "rm_cl_chains",
    metadata,
    Column("chain_key", Text, primary_key=True),
    Column("province_code", String(6), nullable=False),
    Column("child", String(6), nullable=False),
    Column("industry", String(40), nullable=False),
    Column("members", JSON, nullable=False),
)


def _histograms(*names: str) -> list[Column]:
    return [Column(name, JSON, nullable=False) for name in names]


# Per (child region | industry, kind, month or quarter of raising) of a province, at the read model's position;
# kind "" is all kinds (with the raised count of each kind: raised_0.. in the order of KINDS).
closed_loop_cells = Table(
    "rm_cl_cells",
    metadata,
    Column("cell_key", Text, primary_key=True),
    Column("dim", String(8), nullable=False),  # child | industry
    Column("province_code", String(6), nullable=False),
    Column("member", String(40), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("unit", String(7), nullable=False),  # a month "2025-03" or a quarter "2025-Q1" of raising
    *[Column(name, Integer, nullable=False) for name in
      ("raised", "raised_0", "raised_1", "raised_2", "in_time", "late", "unanswered", "ended")],
    *_histograms("days", "firsts", "complied_firsts"),
    Index("ix_rm_cl_cells_unit", "province_code", "unit"),
)

# Per (supervisor, month or quarter of raising) of a province, at the read model's position.
closed_loop_user_cells = Table(
    "rm_cl_user_cells",
    metadata,
    Column("user_cell_key", Text, primary_key=True),
    Column("province_code", String(6), nullable=False),
    Column("username", String(80), nullable=False),
    Column("unit", String(7), nullable=False),
    *[Column(name, Integer, nullable=False)
      for name in ("received", "in_time", "late", "by_others", "unanswered", "ended", "unasked")],
    *_histograms("days"),
    Index("ix_rm_cl_user_cells_unit", "province_code", "unit"),
)

TABLES = (closed_loop_reminders, closed_loop_escalations, closed_loop_recipients, closed_loop_plan,
          closed_loop_plan_entries, closed_loop_days, closed_loop_chains, closed_loop_cells, closed_loop_user_cells)
