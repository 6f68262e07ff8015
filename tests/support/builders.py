"""Builders for valid requests with unique business codes, so tests can share one database."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from typing import Any

from domain.shared.credit_code import credit_code_with_check_digit

_counter = itertools.count(1)
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)


def a_credit_code() -> str:
    """A fresh, valid enterprise credit code (9 = 工商, 1 = 企业, region 410185)."""
    return credit_code_with_check_digit(f"91410185MA{random.randrange(10**7):07d}")


def enterprise_body(credit_code: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "credit_code": credit_code or a_credit_code(),
        "name": "登封市示范化工有限公司",
        "region_code": "410185",
        "industry": "hazardous_chemicals",
        "supervision_level": "county",
        "safety_officer": {"name": "张伟", "mobile": "13800138000"},
        "registered_at": "2026-10-01T09:00:00+08:00",
    }
    return body | overrides


def risk_body(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "risk_code": code or f"R-{next(_counter)}",
        "name": "液氯储罐区",
        "location": "二号罐区",
        "hazard_factors": ["压力容器超压", "有毒气体泄漏"],
        "accident_types": ["17", "中毒和窒息"],
        "assessment": {"method": "lec", "score": 180},
        "inherent_level": "significant",
        "current_level": "general",
        "control_measures": [{
            "description": "安装有毒气体报警仪并联锁", "control_level": "company",
            "department": "安全环保部", "responsible_person": "李强",
        }],
        "identified_at": "2026-11-02T10:00:00+08:00",
    }
    return body | overrides


def hazard_body(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "hazard_code": code or f"H-{next(_counter)}",
        "name": "储罐区可燃气体报警器失效",
        "description": "2 号报警器无响应",
        "level": "general",
        "source": "self_inspection",
        "found_at": "2026-11-10T09:00:00+08:00",
        "rectification_deadline": "2026-11-17T18:00:00+08:00",
        "responsible_person": "王磊",
        "governance_type": "deadline",
    }
    return body | overrides


def inspection_body(code: str | None = None, **overrides: Any) -> dict[str, Any]:
    body = {
        "inspection_code": code or f"I-{next(_counter)}",
        "performed_at": "2026-11-12T15:00:00+08:00",
        "scope": "罐区日常排查",
        "hazards_found": 0,
        "inspector": "赵敏",
    }
    return body | overrides
