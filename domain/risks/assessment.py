"""Risk assessment methods and the score-to-level bands that turn a score into a risk level.

Enterprises state a level and the method + score behind it. Bands differ between provinces and
industries, so they are configuration; these defaults follow the common published tables
(see docs/data-standard.md):

- LEC (D = L x E x C): D > 320 major, 160 < D <= 320 significant, 70 < D <= 160 general, else low.
- LS and risk matrix (R = L x S, 5 x 5): R >= 20 major, R >= 15 significant, R >= 9 general, else low.
- MES (R = M x E x S): R >= 180 major, R >= 90 significant, R >= 50 general, else low.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from domain.shared.codes import RiskLevel
from domain.shared.errors import InvalidValue


class AssessmentMethod(StrEnum):
    LEC = "lec"        # 作业条件危险性分析法
    LS = "ls"          # 风险矩阵 R = L x S
    MES = "mes"        # 作业条件风险程度评价
    MATRIX = "matrix"  # 风险矩阵 (generic)

    @classmethod
    def parse(cls, text: str, field: str = "assessment.method") -> AssessmentMethod:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise InvalidValue(field, f"unknown method {text!r}; expected one of {', '.join(m.value for m in cls)}") from None


@dataclass(frozen=True)
class Band:
    """Scores strictly above `above` (or at least `at_least`) reach `level`."""

    level: RiskLevel
    threshold: float
    inclusive: bool  # True: score >= threshold; False: score > threshold

    def reached_by(self, score: float) -> bool:
        return score >= self.threshold if self.inclusive else score > self.threshold


def _bands(inclusive: bool, major: float, significant: float, general: float) -> tuple[Band, ...]:
    return (
        Band(RiskLevel.MAJOR, major, inclusive),
        Band(RiskLevel.SIGNIFICANT, significant, inclusive),
        Band(RiskLevel.GENERAL, general, inclusive),
    )


DEFAULT_BANDS: dict[AssessmentMethod, tuple[Band, ...]] = {
    AssessmentMethod.LEC: _bands(False, 320, 160, 70),
    AssessmentMethod.LS: _bands(True, 20, 15, 9),
    AssessmentMethod.MATRIX: _bands(True, 20, 15, 9),
    AssessmentMethod.MES: _bands(True, 180, 90, 50),
}


@dataclass(frozen=True)
class AssessmentBands:
    """Per-method bands; `enforce` makes a stated inherent level that contradicts its score an error."""

    bands: dict[AssessmentMethod, tuple[Band, ...]] = field(default_factory=lambda: dict(DEFAULT_BANDS))
    enforce: bool = True

    @classmethod
    def configured(cls, thresholds: dict[str, list[float]] | None, enforce: bool = True) -> AssessmentBands:
        """Defaults, with per-method thresholds [major, significant, general] replaced where given.

        The comparison keeps the method's convention (LEC: score above the threshold; the others:
        at least the threshold)."""
        bands = dict(DEFAULT_BANDS)
        for name, values in (thresholds or {}).items():
            method = AssessmentMethod.parse(name, "risk_bands")
            if len(values) != 3 or not values[0] > values[1] > values[2] >= 0:
                raise InvalidValue("risk_bands", f"{name}: give three falling thresholds [major, significant, general]")
            bands[method] = _bands(DEFAULT_BANDS[method][0].inclusive, *values)
        return cls(bands, enforce)

    def level_for(self, method: AssessmentMethod, score: float) -> RiskLevel:
        for band in self.bands[method]:
            if band.reached_by(score):
                return band.level
        return RiskLevel.LOW

    def check(self, method: AssessmentMethod, score: float, stated: RiskLevel, field: str) -> None:
        if score < 0:
            raise InvalidValue("assessment.score", "must not be negative")
        expected = self.level_for(method, score)
        if self.enforce and expected != stated:
            raise InvalidValue(
                field,
                f"{method.value.upper()} score {score:g} falls in the {expected.code} band, "
                f"but the stated level is {stated.code}",
            )
