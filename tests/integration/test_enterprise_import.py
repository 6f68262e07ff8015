"""`ledger enterprises import` with hostile files (issue 9, item 8): every physical line of the input
is accounted for (header, imported, unchanged, skipped blank, or rejected with its line number and
reason), the summary is always printed, and `--dry-run` writes nothing."""

from __future__ import annotations

import random
import re
from pathlib import Path

from sqlalchemy import text
from typer.testing import CliRunner

from api.bootstrap import bootstrap
from api.cli import app
from api.enterprise_import import import_enterprises
from api.settings import Settings
from domain.shared.credit_code import credit_code_with_check_digit
from tests.conftest import cli_context
from tests.integration.test_cli import head
from tests.support.postgres import _admin_engine, fresh_database

HEADER = b"credit_code,name,region_code,industry,supervision_level,safety_officer_name,safety_officer_mobile,registered_at"
SUMMARY = re.compile(
    r"read (\d+) lines: (\d+) header, (\d+) (?:imported|to import), (\d+) unchanged, (\d+) skipped \(blank\), (\d+) rejected"
)


def credit_codes(count: int) -> list[str]:
    return [credit_code_with_check_digit(f"91410185MA{n:07d}") for n in random.sample(range(10**7), count)]


def row(credit_code: str, name: str = "甲化工") -> bytes:
    return f"{credit_code},{name},410185,hazardous_chemicals,county,张伟,13800138000,2026-01-05T09:00:00+08:00".encode()


def write(path: Path, lines: list[bytes], newline: bytes = b"\n") -> Path:
    path.write_bytes(newline.join(lines) + newline)
    return path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["enterprises", "import", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


def counts(out: str) -> dict[str, int]:
    found = SUMMARY.search(out)
    assert found, out
    read, header, imported, unchanged, skipped, rejected = map(int, found.groups())
    assert header + imported + unchanged + skipped + rejected == read, out  # every line accounted for
    return {"read": read, "imported": imported, "unchanged": unchanged, "skipped": skipped, "rejected": rejected}




def registered(url: str, credit_code: str) -> bool:
    services = bootstrap(Settings(database_url=url))
    try:
        services.write.enterprises.get(credit_code)
        return True
    except Exception:  # noqa: BLE001 - NotFound
        return False
    finally:
        services.close()


def test_an_unterminated_quote_in_the_middle_of_1000_lines_rejects_that_line_only(database: str, tmp_path: Path) -> None:
    """A dry run parses and validates exactly as the import does, at a fraction of the time (the
    import commits each line; the real run is proven on a smaller file below)."""
    codes = credit_codes(999)
    lines = [HEADER] + [row(code) for code in codes]
    lines[500] = row(codes[499], name='"甲化工')  # physical line 501: the quote never closes
    code, out = run("--dry-run", str(write(tmp_path / "big.csv", lines)))
    assert code == 1
    assert counts(out) == {"read": 1000, "imported": 998, "unchanged": 0, "skipped": 0, "rejected": 1}
    assert "big.csv:501: unterminated quote" in out


def test_the_lines_after_an_unterminated_quote_are_imported(database: str, tmp_path: Path) -> None:
    codes = credit_codes(39)
    lines = [HEADER] + [row(code) for code in codes]
    lines[20] = row(codes[19], name='"甲化工')  # physical line 21
    code, out = run(str(write(tmp_path / "quote.csv", lines)))
    assert code == 1
    assert counts(out) == {"read": 40, "imported": 38, "unchanged": 0, "skipped": 0, "rejected": 1}
    assert "quote.csv:21: unterminated quote" in out
    assert registered(database, codes[20]) and registered(database, codes[-1])  # the lines after it
    assert not registered(database, codes[19])


def test_extra_and_missing_cells_invalid_utf8_and_control_characters_are_rejected_by_line(
    database: str, tmp_path: Path
) -> None:
    good = credit_codes(6)
    lines = [
        HEADER,
        row(good[0]),
        row(good[1]) + b",surplus",  # line 3: one cell too many
        row(good[2]).rsplit(b",", 1)[0],  # line 4: one cell missing
        row(good[3], name="甲X").replace(b"X", b"\xff"),  # line 5: a byte that is not UTF-8
        row(good[4], name="a\x00b"),  # line 6: NUL in the name
        row(good[5]),
    ]
    code, out = run(str(write(tmp_path / "bad.csv", lines)))
    assert code == 1
    assert counts(out) == {"read": 7, "imported": 2, "unchanged": 0, "skipped": 0, "rejected": 4}
    assert re.search(r"bad\.csv:3: 9 cells, expected 8", out), out
    assert re.search(r"bad\.csv:4: 7 cells, expected 8", out), out
    assert "bad.csv:5: invalid UTF-8" in out
    assert "bad.csv:6: name: must not contain control characters: found U+0000" in out
    assert "Traceback" not in out
    assert [registered(database, c) for c in good] == [True, False, False, False, False, True]


def test_blank_lines_crlf_and_a_byte_order_mark_are_read_as_intended(database: str, tmp_path: Path) -> None:
    good = credit_codes(3)
    lines = [b"\xef\xbb\xbf" + HEADER, row(good[0]), b"", b"   ", row(good[1]), b"\t", row(good[2])]
    code, out = run(str(write(tmp_path / "windows.csv", lines, newline=b"\r\n")))
    assert code == 0, out
    assert counts(out) == {"read": 7, "imported": 3, "unchanged": 0, "skipped": 3, "rejected": 0}
    code, out = run(str(tmp_path / "windows.csv"))  # a re-run changes nothing
    assert code == 0 and counts(out)["unchanged"] == 3


def test_a_file_without_a_final_newline_and_an_invalid_header_still_account_for_every_line(
    database: str, tmp_path: Path
) -> None:
    path = tmp_path / "header.csv"
    path.write_bytes(b"code,name\n" + row(credit_codes(1)[0]) + b"\n\n" + row(credit_codes(1)[0]))
    before = head(database)
    code, out = run(str(path))
    assert code == 1
    assert counts(out) == {"read": 4, "imported": 0, "unchanged": 0, "skipped": 1, "rejected": 3}
    assert "header.csv:1: unknown columns: code; missing columns: credit_code" in out
    assert "header.csv:4: not imported: the header (line 1) is invalid" in out
    assert head(database) == before


def test_dry_run_validates_everything_and_writes_nothing(database: str, tmp_path: Path) -> None:
    codes = credit_codes(3)
    lines = [HEADER, row(codes[0]), row(codes[1]), row(codes[0]), row(codes[0], name="乙化工"), b"x,y"]
    path = write(tmp_path / "dry.csv", lines)
    before = head(database)
    code, out = run("--dry-run", str(path))
    assert code == 1
    assert "dry run: nothing written" in out
    # a repeated identical line would be unchanged, a repeated code with other content a conflict
    assert counts(out) == {"read": 6, "imported": 2, "unchanged": 1, "skipped": 0, "rejected": 2}
    assert "dry.csv:5: " in out and "dry.csv:6: 2 cells, expected 8" in out
    assert head(database) == before
    assert not registered(database, codes[0])

    code, out = run(str(path))  # the real run finds what the dry run announced
    assert counts(out) == {"read": 6, "imported": 2, "unchanged": 1, "skipped": 0, "rejected": 2}
    assert head(database) > before


def test_many_rejections_are_capped_on_screen_and_all_written_to_the_report_file(database: str, tmp_path: Path) -> None:
    lines = [HEADER] + [b"not,a,row"] * 50
    report = tmp_path / "rejected.csv"
    code, out = run("--report", str(report), str(write(tmp_path / "junk.csv", lines)))
    assert code == 1
    assert counts(out)["rejected"] == 50
    assert "junk.csv:21: " in out and "junk.csv:22: " not in out
    assert "and 30 more rejected lines" in out
    written = report.read_text(encoding="utf-8").splitlines()
    assert written[0] == "line,reason" and len(written) == 51
    assert written[-1].startswith("51,")


def _block_connections(url: str, blocked: bool) -> None:
    """An outage of this private database only: sessions killed, new ones refused (or allowed again)."""
    name = url.rsplit("/", 1)[1]
    engine = _admin_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(not blocked).lower()}'))
            if blocked:
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = :name AND pid <> pg_backend_pid()"), {"name": name})
    finally:
        engine.dispose()


def test_a_database_outage_stops_the_import_with_every_line_read_so_far_accounted_for(tmp_path: Path) -> None:
    codes = credit_codes(5)
    path = write(tmp_path / "outage.csv", [HEADER, row(codes[0]), b"", row(codes[1]), row(codes[2]), row(codes[3])])
    with fresh_database() as url:
        services = bootstrap(Settings(database_url=url))
        try:
            report = import_enterprises(
                path, services.write.enterprises, lambda: cli_context(services),
                progress=lambda line: _block_connections(url, True) if line == 4 else None,
            )
        finally:
            _block_connections(url, False)
            services.close()
    assert report.stopped is not None and report.stopped.line == 5
    assert (report.lines, report.header, report.imported, report.skipped) == (5, 1, 2, 1)
    assert [r.line for r in report.rejected] == [5] and report.accounted == report.lines
