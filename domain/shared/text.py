"""The one rule for characters in the ledger's text: no C0 control characters and no DEL.

Why: every text a caller sends ends up in an event, and from there in read models, the NATS relay,
Excel exports and the ministry's tables. PostgreSQL `text` cannot hold U+0000 at all (one NUL once
stopped every read model), and the other control characters corrupt CSV, Excel and terminal
output while carrying no meaning in a risk name or a credit code. So the data standard refuses
U+0000-U+001F and U+007F everywhere, except that a multi-line field (a description, a measure, a
reason, a result) may hold tab, line feed and carriage return.

The REST schemas, the domain's `require_text` and the importers all call `find_control_character`,
so every door refuses the same characters with the same words.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_ANY_CONTROL = re.compile("[\x00-\x1f\x7f]")
_CONTROL_EXCEPT_LINE_BREAKS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
LINE_BREAKS = "\t\n\r"  # allowed in multi-line fields only


class ControlCharacter(NamedTuple):
    """The first forbidden character found in a text, and where (0-based)."""

    position: int
    character: str

    @property
    def code_point(self) -> str:
        return f"U+{ord(self.character):04X}"

    def message(self, multiline: bool = False) -> str:
        """The refusal every door gives, e.g. for a 422 field error or a rejected CSV cell."""
        allowed = ("only tab, line feed and carriage return are allowed" if multiline
                   else "a single-line field allows none (tab and line breaks only in multi-line fields)")
        return (f"must not contain control characters: found {self.code_point} at character {self.position + 1}; "
                f"{allowed}")


def find_control_character(text: str, multiline: bool = False) -> ControlCharacter | None:
    """The first C0 control character or DEL in `text`, or None when the text is clean.

    With `multiline=True` tab, line feed and carriage return are not counted.
    """
    match = (_CONTROL_EXCEPT_LINE_BREAKS if multiline else _ANY_CONTROL).search(text)
    return ControlCharacter(match.start(), match.group()) if match else None
