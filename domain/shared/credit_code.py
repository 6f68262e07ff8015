"""统一社会信用代码 (unified social credit code), GB 32100-2015.

An enterprise's identity in the ledger is derived from this code, so a typo must be caught at the
door: the standard's check character (position 18) catches every single-character error.

Structure (18 characters): 1 registration department, 1 organisation category, 6 region of the
registration authority (GB/T 2260), 9 organisation code (GB 11714), 1 check character.
Alphabet: digits and upper-case letters without I, O, Z, S, V (31 symbols, values 0..30).
Check character: S = sum(C_i * W_i) for i = 1..17 with W_i = 3^(i-1) mod 31;
check = alphabet[(31 - S mod 31) mod 31].
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.shared.errors import InvalidValue

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {ch: i for i, ch in enumerate(ALPHABET)}
_WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 3^(i-1) mod 31 for i = 1..17
_FORBIDDEN_LETTERS = "IOZSV"
_EXPECTED = "18 characters of digits and upper-case letters except I, O, Z, S, V (GB 32100-2015)"


def _check_chars(chars: str, field: str) -> None:
    for position, ch in enumerate(chars, start=1):
        if ch not in _VALUES:
            why = "a letter GB 32100-2015 excludes" if ch in _FORBIDDEN_LETTERS else "not allowed"
            raise InvalidValue(
                field,
                f"character {ch!r} at position {position} is {why}; "
                f"expected only digits and upper-case letters except I, O, Z, S, V",
            )


def _check_char_for(first17: str) -> str:
    total = sum(_VALUES[ch] * weight for ch, weight in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_with_check_digit(first17: str) -> str:
    """Complete the first 17 characters with the GB 32100-2015 check character (test builders, demo data)."""
    text = (first17 or "").strip().upper()
    if len(text) != 17:
        raise InvalidValue(
            "credit_code", f"expected the first 17 characters of a credit code, got {len(text)} characters"
        )
    _check_chars(text, "credit_code")
    return text + _check_char_for(text)


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A unified social credit code whose format and check character are valid."""

    value: str

    @classmethod
    def parse(cls, text: str, field: str = "credit_code") -> CreditCode:
        code = "".join((text or "").split()).upper()
        if not code:
            raise InvalidValue(field, f"must not be empty; expected {_EXPECTED}")
        if len(code) != 18:
            raise InvalidValue(field, f"has {len(code)} characters; expected {_EXPECTED}")
        _check_chars(code[:17], field)
        expected = _check_char_for(code[:17])
        if code[17] != expected:  # also catches a position-18 character outside the alphabet
            raise InvalidValue(
                field,
                f"check character is {code[17]!r} but the first 17 characters require {expected!r} "
                f"(GB 32100-2015 check digit); the code is mistyped",
            )
        return cls(code)

    def __str__(self) -> str:
        return self.value
