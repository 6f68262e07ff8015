"""docs/ministry-exchange.md, generated from the declarations (never edited by hand).

    python -m projections.ministry.docs           write the file
    python -m projections.ministry.docs --check   exit 1 if the committed file is stale
(`ledger frontend docs` does the same.)
"""

from __future__ import annotations

import sys
from pathlib import Path

from projections.ministry.catalogue import ATTACHMENT_FOLDERS, CATALOGUE
from projections.ministry.conversion import Format
from projections.ministry.mappings import CODE_LISTS, MAPPINGS, NOT_IN_READ_MODEL
from projections.ministry.tables import (
    IDENTIFIER_LIMITS,
    OPERATIONS,
    SOURCE_HENAN,
    TECHNICAL_COLUMNS,
    Catalogue,
    Column,
    Fill,
    Origin,
    batch_number,
)

DOC_PATH = Path(__file__).resolve().parents[2] / "docs" / "ministry-exchange.md"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def _columns(columns: tuple[Column, ...]) -> list[str]:
    lines = [_row("column", "中文", "type", "required", "origin"), _row(*["---"] * 5)]
    lines += [_row(f"`{c.name}`", c.zh, c.type_text, "yes" if c.required else "", c.origin.value) for c in columns]
    return lines


def render(catalogue: Catalogue = CATALOGUE) -> str:
    from datetime import date

    limits = {"MySQL/MariaDB": IDENTIFIER_LIMITS["mysql"], "PostgreSQL": IDENTIFIER_LIMITS["postgresql"],
              "Oracle ≤ 12.1": IDENTIFIER_LIMITS["oracle"]}
    out = [
        "# Ministry exchange: the front-end database and the standard tables",
        "",
        "<!-- Generated from projections/ministry/ by `ledger frontend docs` (or `python -m "
        "projections.ministry.docs`); do not edit by hand: tests/unit/projections/test_ministry_docs.py "
        "fails when this file is stale. -->",
        "",
        "The province hands its supervision data to the Ministry of Emergency Management through a "
        "front-end database (数据接入前置机, seed package B 2.3.1-2.3.4) that the ministry's data governance "
        "system reads. This page lists every table the seed names, declared once in "
        "`projections/ministry/catalogue.py`, and the standard conversion (标准转换) from the ledger's read "
        "models (`projections/ministry/mappings.py`). `ledger frontend init` creates the tables, indexes and "
        "attachment folders; `ledger frontend check` is the connectivity test of seed 2.3.1.2 "
        "(the README lists the commands and settings). How the exchange runs (batches, watermark, recovery, "
        "completeness policy, reconcile, status, scheduling) is in the hand-written "
        "[ministry-exchange-operations.md](ministry-exchange-operations.md).",
        "",
        "## Conventions",
        "",
        f"- **{len(catalogue)} tables**: {sum(1 for t in catalogue if t.name.startswith('up_'))} of the "
        "政务服务数据对接标准（第一批） (`up_*`) and "
        f"{sum(1 for t in catalogue if not t.name.startswith('up_'))} of the 监管数据汇聚标准（第一批） (`jg_*`, `tsjb_*`).",
        "- **Names** are declared in lower case and created unquoted, so `CD_ID` and `cd_id` both work on "
        "PostgreSQL, MySQL/MariaDB and Oracle.",
        "- **Primary key**: `cd_id` on every table (the exchange DDL's comment reads 「主键（部门编码主键）」, "
        "reference §4.1): one row per record, upserted by the exchange; `cd_operation` tells whether its last "
        "change was an insert, update or delete, so a deletion stays visible as a `d` row.",
        "- **Primary-key index** (seed 2.3.1.3): named `I_<table>_<pk>`, or `<table>_<pk>` when that is longer "
        "than the database allows (MySQL/MariaDB 64, PostgreSQL 63, Oracle up to 12.1: 30 characters). When "
        "even `<table>_<pk>` is too long (only Oracle here) the seed says nothing; ours: `<table>_<pk>` cut "
        "short, then `_` and 6 hex digits of its SHA-1, so names stay distinct. On PostgreSQL the primary-key "
        "constraint carries the name (its index is the key's index); MySQL/MariaDB always call the primary "
        "key `PRIMARY`, so a unique index with the name is added there.",
        f"- **CD_SOURCE** is the province's division code, `{SOURCE_HENAN}` for Henan. **CD_BATCH** is the "
        f"date and the day's sequence number in 5 digits: the second batch of 2026-12-02 is "
        f"`{batch_number(date(2026, 12, 2), 2)}`. **CD_OPERATION** is "
        f"{', '.join(f'`{k}`' for k in OPERATIONS)}; **DATA_UP_STATUS** repeats it in upper case.",
        "- **Times** are China Standard Time without an offset (`DATETIME` on MySQL/MariaDB, "
        "`TIMESTAMP WITHOUT TIME ZONE` on PostgreSQL); the ledger stores UTC and converts.",
        "- **Frequency** (seed 2.3.1.4, per table 2.3.4.2): hourly for the government-service catalogues "
        "(`up_task_*`, `up_zone_organization`, `up_lic_data`), daily for case files (`up_pro_*`) and every "
        "supervision table.",
        "- **Origin** of a column: *recovered* (read in a public implementation of the standard, reference "
        "§4.2-4.5), *inferred* (named by analogy with a recovered table or a stated convention), *derived* "
        "(the standard's list was not found; the column is what the ledger knows), *technical* (below). "
        "Derived and inferred columns are to be replaced when the standard documents are obtained "
        "(reference §8).",
        "- **Filled by**: *ledger* (converted from our read models by the exchange), *ledger (later)* (ours "
        "once the read model it comes from exists), *other systems* (created empty by `ledger frontend init`; "
        "the government-service, enforcement-case, complaints, knowledge-base and double-random systems "
        "feed them). A table whose column list was not found and that other systems feed carries the "
        "exchange columns only: guessing business columns nobody writes would only have to be undone.",
        "",
        "## The front-end database",
        "",
        "- Character set UTF-8 (`utf8mb4` on MySQL/MariaDB: their `utf8` holds 3 bytes, not every "
        "character), at least 300 connections (seed 2.3.1.3). `ledger frontend init` warns and "
        "`ledger frontend check` fails when either is not met, naming the setting to change.",
        "- Attachment folders under `LEDGER_FRONTEND_ROOT`: "
        + ", ".join(f"`{name}` ({zh})" for name, zh in ATTACHMENT_FOLDERS.items()) + ".",
        "- Full loads are also written as `<table>_his.sql`, increments as `<table>.sql` scripts "
        "(seed 2.3.4; the exchange).",
        "",
        "## Technical columns (every table)",
        "",
        *_columns(TECHNICAL_COLUMNS),
        "",
        "## Tables",
        "",
        _row("table", "中文", "frequency", "filled by", "columns", *[f"index ({k})" for k in limits]),
        _row(*["---"] * (5 + len(limits))),
    ]
    for table in catalogue:
        out.append(_row(f"[`{table.name}`](#{table.name})", table.zh, table.frequency.label_zh, table.fill.value,
                        len(table.columns), *[f"`{table.index_name(limit)}`" for limit in limits.values()]))
    group = None
    for table in catalogue:
        if table.group.split(" / ")[0] != group:
            group = table.group.split(" / ")[0]
            out += ["", f"### {group}"]
        out += ["", f"#### {table.name}", "", f"{table.zh}. Frequency: {table.frequency.value} "
                f"({table.frequency.label_zh}). Filled by: {table.fill.value}. Primary key: "
                f"`{', '.join(table.primary_key)}`.", "", f"Columns: {table.sources}."]
        if table.note:
            out += ["", f"Note: {table.note}."]
        if table.columns:
            out += ["", *_columns(table.columns)]
        else:
            out += ["", "Business columns: none declared (not found); the technical columns only."]
    out += ["", "## Standard conversion (标准转换)", "",
            "A read-model row becomes a standard row through its table's mapping: field by field, in a "
            "format, through a code list. `projections.ministry.conversion.convert` is pure and returns the "
            "row with its findings (required value missing, value outside a code list, text too long), which "
            "the completeness check (查漏补缺) reports. Technical columns other than `cd_id` are set by the "
            "exchange."]
    for mapping in MAPPINGS:
        only = ""
        if mapping.only:
            only = f" Rows whose `{mapping.only[0]}` is one of: {', '.join(sorted(mapping.only[1]))}."
        out += ["", f"### {mapping.table} from {mapping.read_model}", "",
                f"`cd_id` ← `{mapping.key}`.{only}", "",
                _row("column", "from", "format", "code list", "note"), _row(*["---"] * 5)]
        for field in mapping.fields:
            note = field.note or ("not in the read model yet" if field.source in NOT_IN_READ_MODEL else "")
            out.append(_row(f"`{field.column}`", f"`{field.source}`", field.format.value,
                            field.code_list.name if field.code_list and field.format in (Format.CODE, Format.LABEL)
                            else "", note))
    out += ["", "### Code lists", ""]
    for code_list in CODE_LISTS:
        out += [f"**{code_list.name}** ({code_list.zh}): {code_list.source}.", "",
                _row("ours", "standard code", "standard label"), _row("---", "---", "---")]
        out += [_row(f"`{ours}`", f"`{code}`" if code else "(none)", label)
                for ours, (code, label) in code_list.entries.items()]
        out.append("")
    counts = {o: sum(1 for t in catalogue for c in t.columns if c.origin is o) for o in Origin if o is not Origin.TECHNICAL}
    out += ["## Provenance in numbers", "",
            f"Business columns: {', '.join(f'{n} {o.value}' for o, n in counts.items())}. Tables filled by "
            f"the ledger: {sum(1 for t in catalogue if t.fill is Fill.LEDGER)}, later: "
            f"{sum(1 for t in catalogue if t.fill is Fill.LEDGER_LATER)}, by other systems: "
            f"{sum(1 for t in catalogue if t.fill is Fill.OTHER_SYSTEMS)}.", ""]
    return "\n".join(out)


def is_current(path: Path = DOC_PATH) -> bool:
    return path.exists() and path.read_text(encoding="utf-8") == render()


def write(path: Path = DOC_PATH) -> bool:
    """Write the file; True when it changed."""
    text = render()
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def main(argv: list[str]) -> int:
    if "--check" in argv:
        if is_current():
            return 0
        print(f"{DOC_PATH} is stale: run `python -m projections.ministry.docs`", file=sys.stderr)
        return 1
    print(f"{DOC_PATH}: {'written' if write() else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
