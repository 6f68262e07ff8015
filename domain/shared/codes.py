"""Small code lists of the dual-prevention data standard, each with a `parse` that names what is expected.

Sources (shared/reference/domain-standards.md): industries §5.2 (the seed's 监管行业 plus the eight 工贸
industries of 应急管理部令第13号), supervision level §5.4, risk levels and colours §1.1 (with the national
危化品 exchange codes), hazard levels §2.1, mobile numbers §5.4, accident types §1.5 (GB 6441-1986).
Credit codes live in domain.shared.credit_code, regions in domain.shared.regions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from types import MappingProxyType

from domain.shared.errors import InvalidValue


def _clean(text: object) -> str:
    return str(text if text is not None else "").strip()


class Industry(StrEnum):
    """监管行业: directly supervised (mines, chemicals, fireworks) and comprehensively supervised industries."""

    NON_COAL_MINE = "non_coal_mine"
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"
    FIREWORKS = "fireworks"
    METALLURGY = "metallurgy"
    NONFERROUS = "nonferrous"
    BUILDING_MATERIALS = "building_materials"
    MACHINERY = "machinery"
    LIGHT_INDUSTRY = "light_industry"
    TEXTILES = "textiles"
    TOBACCO = "tobacco"
    COMMERCE_TRADE = "commerce_trade"
    POWER = "power"
    TRANSPORT = "transport"
    WATER = "water"
    CONSTRUCTION = "construction"
    OTHER = "other"

    @property
    def label_zh(self) -> str:
        return _INDUSTRY_ZH[self]

    @classmethod
    def parse(cls, text: str, field: str = "industry") -> Industry:
        """The code (e.g. "hazardous_chemicals") or the Chinese label (e.g. "危险化学品")."""
        value = _clean(text)
        for member in cls:
            if value.lower() == member.value or value == member.label_zh:
                return member
        valid = ", ".join(f"{m.value} ({m.label_zh})" for m in cls)
        raise InvalidValue(field, f"{value!r} is not a supervised industry; expected one of: {valid}")


_INDUSTRY_ZH = {
    Industry.NON_COAL_MINE: "非煤矿山",
    Industry.HAZARDOUS_CHEMICALS: "危险化学品",
    Industry.FIREWORKS: "烟花爆竹",
    Industry.METALLURGY: "冶金",
    Industry.NONFERROUS: "有色",
    Industry.BUILDING_MATERIALS: "建材",
    Industry.MACHINERY: "机械",
    Industry.LIGHT_INDUSTRY: "轻工",
    Industry.TEXTILES: "纺织",
    Industry.TOBACCO: "烟草",
    Industry.COMMERCE_TRADE: "商贸",
    Industry.POWER: "电力",
    Industry.TRANSPORT: "交通运输",
    Industry.WATER: "水利",
    Industry.CONSTRUCTION: "建筑",
    Industry.OTHER: "其他",
}


class SupervisionLevel(StrEnum):
    """监管层级: which tier of the emergency-management bureaus supervises the enterprise."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"

    @property
    def label_zh(self) -> str:
        return {"province": "省级", "city": "市级", "county": "县级"}[self.value]

    @classmethod
    def parse(cls, text: str, field: str = "supervision_level") -> SupervisionLevel:
        value = _clean(text)
        for member in cls:
            if value.lower() == member.value or value == member.label_zh:
                return member
        raise InvalidValue(
            field, f"{value!r} is not a supervision level; expected province (省级), city (市级) or county (县级)"
        )


class RiskLevel(IntEnum):
    """安全风险等级, four levels and four colours; a larger value is a higher risk (upgrade = larger)."""

    LOW = 1
    GENERAL = 2
    SIGNIFICANT = 3
    MAJOR = 4

    @property
    def code(self) -> str:
        return self.name.lower()

    @property
    def label_zh(self) -> str:
        return ("低风险", "一般风险", "较大风险", "重大风险")[self.value - 1]

    @property
    def colour(self) -> str:
        return ("blue", "yellow", "orange", "red")[self.value - 1]

    @classmethod
    def parse(cls, text: str, field: str = "level") -> RiskLevel:
        """The code ("major"), the colour ("red") or the Chinese label ("重大风险")."""
        value = _clean(text)
        for member in cls:
            if value.lower() in (member.code, member.colour) or value == member.label_zh:
                return member
        raise InvalidValue(
            field,
            f"{value!r} is not a risk level; expected low/general/significant/major, "
            f"blue/yellow/orange/red, or 低风险/一般风险/较大风险/重大风险",
        )

    @classmethod
    def from_national_code(cls, code: int | str, field: str = "level") -> RiskLevel:
        """The national 危化品 exchange code: 0 重大, 1 较大, 2 一般, 3 低."""
        mapping = {"0": cls.MAJOR, "1": cls.SIGNIFICANT, "2": cls.GENERAL, "3": cls.LOW}
        key = _clean(code) if not isinstance(code, bool) else ""
        if key not in mapping:
            raise InvalidValue(
                field, f"{code!r} is not a national risk level code; expected 0 (重大), 1 (较大), 2 (一般) or 3 (低)"
            )
        return mapping[key]


class HazardLevel(StrEnum):
    """隐患等级: general (一般隐患) or major (重大隐患)."""

    GENERAL = "general"
    MAJOR = "major"

    @property
    def label_zh(self) -> str:
        return {"general": "一般隐患", "major": "重大隐患"}[self.value]

    @classmethod
    def parse(cls, text: str, field: str = "level") -> HazardLevel:
        value = _clean(text)
        for member in cls:
            if value.lower() == member.value or value == member.label_zh:
                return member
        raise InvalidValue(field, f"{value!r} is not a hazard level; expected general (一般隐患) or major (重大隐患)")

    @classmethod
    def from_national_code(cls, code: int | str, field: str = "level") -> HazardLevel:
        """The national 危化品 exchange code: 0 一般, 1 重大."""
        mapping = {"0": cls.GENERAL, "1": cls.MAJOR}
        key = _clean(code) if not isinstance(code, bool) else ""
        if key not in mapping:
            raise InvalidValue(field, f"{code!r} is not a national hazard level code; expected 0 (一般) or 1 (重大)")
        return mapping[key]


_MOBILE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True, slots=True)
class MobileNumber:
    """A mainland China mobile number, 11 digits starting 13..19; reminders are sent to it."""

    value: str

    @classmethod
    def parse(cls, text: str, field: str = "mobile") -> MobileNumber:
        digits = re.sub(r"[\s\-]", "", _clean(text))
        if digits.startswith("+86"):
            digits = digits[3:]
        if not _MOBILE.match(digits):
            raise InvalidValue(
                field,
                f"{_clean(text)!r} is not a mobile number; expected 11 digits starting with 13-19, optionally prefixed +86",
            )
        return cls(digits)

    def __str__(self) -> str:
        return self.value

    @property
    def masked(self) -> str:
        """138****8000: what logs and delivery records show (personal data stays out of them)."""
        return f"{self.value[:3]}****{self.value[-4:]}"


# GB 6441-1986 企业职工伤亡事故分类: the 20 accident types, code -> name (kept as data; §1.5).
ACCIDENT_TYPES: MappingProxyType[str, str] = MappingProxyType({
    "01": "物体打击", "02": "车辆伤害", "03": "机械伤害", "04": "起重伤害", "05": "触电",
    "06": "淹溺", "07": "灼烫", "08": "火灾", "09": "高处坠落", "10": "坍塌",
    "11": "冒顶片帮", "12": "透水", "13": "放炮", "14": "火药爆炸", "15": "瓦斯爆炸",
    "16": "锅炉爆炸", "17": "容器爆炸", "18": "其它爆炸", "19": "中毒和窒息", "20": "其它伤害",
})
_ACCIDENT_BY_NAME = {name: code for code, name in ACCIDENT_TYPES.items()}


def parse_accident_type(text: str, field: str = "accident_type") -> str:
    """The 2-digit GB 6441 code ("09") or the Chinese name ("高处坠落"; 其他 and 其它 both accepted) -> the code."""
    value = _clean(text)
    if value in ACCIDENT_TYPES:
        return value
    code = _ACCIDENT_BY_NAME.get(value.replace("其他", "其它"))
    if code:
        return code
    raise InvalidValue(
        field, f"{value!r} is not a GB 6441-1986 accident type; expected a code 01-20 or a name such as 高处坠落 or 中毒和窒息"
    )
