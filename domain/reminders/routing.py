"""Who is told of an escalation: the default recipients at the escalation's tier, then the rules'
routes ("按企业所属行业和监管层级, 通知到谁由省厅业务处室制定规则").

Default: every active supervisor whose region is the enterprise's county, city or province (the
tier of this escalation step) and whose scope covers the enterprise. At the enterprise's own tier
the scope must cover its industry and supervision level; a step up it must cover the industry only,
since the tier above does not supervise the enterprise directly but answers for those who do.
Every recipient comes with the reason it was chosen, which the escalation event keeps.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.reminders.facts import EnterpriseFacts
from domain.rules.rule_set import RuleSet


@dataclass(frozen=True)
class SupervisorContact:
    username: str
    region_code: str
    industries: tuple[str, ...]
    supervision_level: str | None
    active: bool = True
    mobile: str | None = None


@dataclass(frozen=True)
class Recipient:
    username: str
    reason: str


def tier_region(region_code: str, tier: str) -> str:
    """410185 -> county 410185, city 410100, province 410000."""
    if tier == "province":
        return region_code[:2] + "0000"
    if tier == "city":
        return region_code[:4] + "00"
    return region_code


def recipients(facts: EnterpriseFacts, tier: str, level: int, rules: RuleSet,
               directory: list[SupervisorContact]) -> list[Recipient]:
    region = tier_region(facts.region_code, tier)
    own_tier = tier == facts.supervision_level
    chosen: dict[str, str] = {}
    for contact in directory:
        if not contact.active or contact.region_code != region:
            continue
        if contact.industries and facts.industry not in contact.industries:
            continue
        if own_tier and contact.supervision_level and contact.supervision_level != facts.supervision_level:
            continue
        chosen[contact.username] = f"scope covers {region} / {facts.industry}" + (
            f" / {facts.supervision_level}" if own_tier else "") + f" at the {tier} tier"
    active = {c.username for c in directory if c.active}
    for route in rules.routes_for(facts.industry, facts.supervision_level, level):
        where = f"route {route.mode} for {route.industry or 'any industry'} x {route.supervision_level or 'any level'}"
        if route.mode == "only":
            chosen = {}
        for username in route.usernames:
            if username in active:
                chosen[username] = where
    return [Recipient(u, r) for u, r in sorted(chosen.items())]
