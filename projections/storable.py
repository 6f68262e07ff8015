"""What a read model stores in place of a value its database cannot hold, so that any event in the
log can be projected, whatever wrote it.

The log keeps whatever an event said; a read model is a view of it, and a view that cannot store
one value must not stop at it forever (a NUL in one risk's name once froze every read model on
PostgreSQL). So every row written to a read-model table is made storable first, the same way on
PostgreSQL and SQLite, so one event gives the same row on both:

- U+0000 (NUL) in any text, and in any string or key inside a JSON value, becomes U+FFFD
  (REPLACEMENT CHARACTER): PostgreSQL text cannot hold NUL at all, and its JSON operators refuse
  the escape `\\u0000`.
- A lone surrogate (U+D800..U+DFFF; JSON decoding yields one from an escape like `"\\ud800"`)
  becomes U+FFFD as well: it has no UTF-8 form, so neither database's driver can send it.
- Text longer than its column (`String(n)`) is cut to its first n characters: PostgreSQL refuses
  a longer value. Keys are aggregate ids (uuids, 36 characters), never that long.

The substitution keeps lengths (one character for one), so a value that fits still fits. What
still cannot be written (a cut value colliding with another in a unique column, a fold that
raises) is the failure policy's business (projections/failures.py).

Cheap on the hot path: PostgreSQL rows travel as one COPY text per table and batch, checked
once as a whole while it is encoded (`copy_bytes`); JSON values are re-encoded only when their
text shows an escaped NUL. SQLite rows (SQLAlchemy executemany) are checked value by value (`rows`).
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy import JSON, String, Table, TypeDecorator
from sqlalchemy.dialects import postgresql

REPLACEMENT = "\ufffd"
NUL = "\x00"
_REPLACEMENT_UTF8 = REPLACEMENT.encode("utf-8")
_SURROGATES = re.compile("[\ud800-\udfff]")  # in a str always lone: a valid pair decodes to one character


def text(value: str) -> str:
    """`value` with NUL and lone surrogates replaced by U+FFFD (the same object when clean)."""
    if NUL in value:
        value = value.replace(NUL, REPLACEMENT)
    if not value.isascii() and _SURROGATES.search(value):
        value = _SURROGATES.sub(REPLACEMENT, value)
    return value


def json_value(value: Any) -> Any:
    """A JSON value with every string and key made storable (`text`); the same object when clean."""
    kind = type(value)
    if kind is str:
        return text(value)
    if kind is dict:
        cleaned: dict[Any, Any] = {}
        changed = False
        for key, item in value.items():
            clean_key, clean_item = text(key) if type(key) is str else key, json_value(item)
            changed = changed or clean_key is not key or clean_item is not item
            cleaned[clean_key] = clean_item
        return cleaned if changed else value
    if kind in (list, tuple):
        items = [json_value(item) for item in value]
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def copy_bytes(data: str) -> bytes:
    """A whole COPY text as UTF-8, with NUL and lone surrogates replaced: a surrogate is found by
    the encoding itself, a NUL in the bytes (memchr; U+0000 is the only character whose UTF-8 holds
    a zero byte, and NUL is no COPY escape, so it can only come from a value)."""
    encoded = data.encode("utf-8", errors=_ERRORS)
    if b"\x00" in encoded:
        encoded = encoded.replace(b"\x00", _REPLACEMENT_UTF8)
    return encoded


def _replace_surrogates(error: UnicodeError) -> tuple[bytes, int]:
    """Encoding error handler: one U+FFFD per character that has no UTF-8 form (as bytes: the
    UTF-8 encoder takes only ASCII from a handler's str)."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    return _REPLACEMENT_UTF8 * (error.end - error.start), error.end


_ERRORS = "ledger.projections.replace"
codecs.register_error(_ERRORS, _replace_surrogates)


def escaped_nul(encoded_json: str) -> bool:
    """Whether JSON text may hold an escaped NUL (`\\u0000`; a false alarm only costs a re-encode)."""
    return "\\u0000" in encoded_json


def rows(table: Table, values: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """`values` with every text and JSON column made storable and text cut to its column's length
    (a row is copied only when it changes)."""
    columns = _checked_columns(table)
    result = []
    for row in values:
        changed: dict[str, Any] | None = None
        for name, is_json, length in columns:
            value = row.get(name)
            if value is None:
                continue
            clean = json_value(value) if is_json else _bounded(value, length) if type(value) is str else value
            if clean is not value:
                if changed is None:
                    changed = dict(row)
                changed[name] = clean
        result.append(row if changed is None else changed)
    return result


def _bounded(value: str, length: int | None) -> str:
    value = text(value)
    return value if length is None or len(value) <= length else value[:length]


def column_length(table: Table, name: str) -> int | None:
    """The length limit of a text column (None: unbounded or not text)."""
    kind = _stored_type(table.c[name].type)
    return kind.length if isinstance(kind, String) else None


@lru_cache(maxsize=512)
def _checked_columns(table: Table) -> tuple[tuple[str, bool, int | None], ...]:
    """(name, is JSON, length limit) of every column that can hold text."""
    found = []
    for column in table.columns:
        kind = _stored_type(column.type)
        if isinstance(kind, JSON):
            found.append((column.name, True, None))
        elif isinstance(kind, String):  # Text is a String without a length
            found.append((column.name, False, kind.length))
    return tuple(found)


def _stored_type(kind: Any) -> Any:
    return kind.load_dialect_impl(postgresql.dialect()) if isinstance(kind, TypeDecorator) else kind
