"""`Reminder`: one per enterprise, kind and cycle; every step is an event, so "who was told what,
when, by which rule, and did it arrive" is answered from the ledger.

Raised (with the due messages to the enterprise) -> delivery recorded per message -> Escalated
level 1, 2, ... (the supervisors chosen and why, with their due messages) -> Resolved (naming the
event and position that made the enterprise compliant) or Closed. The id is derived from
(enterprise, kind, cycle key), so a repeated or concurrent scan can never raise a cycle twice.
Supervisors' responses and the enforcement plan will add their events here.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import event

from domain.reminders.days import china_day
from domain.reminders.evaluation import Counting, Escalate, Raise
from domain.reminders.facts import Evidence, ReminderKind
from domain.reminders.messages import DueMessage
from domain.reminders.routing import Recipient
from domain.rules.calendar import WorkCalendar
from domain.shared.aggregate import LedgerAggregate
from domain.shared.errors import CommandRefused
from domain.shared.meta import Meta

FINAL_RESULTS = ("delivered", "failed")
DELIVERY_RESULTS = (*FINAL_RESULTS, "held", "capped", "retrying")


class Reminder(LedgerAggregate):
    @staticmethod
    def create_id(credit_code: str, kind: str, cycle_key: str) -> UUID:
        return uuid5(NAMESPACE_URL, f"/reminders/{credit_code}/{kind}/{cycle_key}")

    @event("Raised")
    def __init__(self, credit_code: str, enterprise_name: str, placement: dict[str, str], kind: str, cycle_key: str,
                 basis_day: str, deadline: str, fact: str, rule_version: int, counting: dict[str, Any],
                 subject: str | None, messages: list[dict[str, str]], at: datetime, meta: Meta) -> None:
        self.credit_code = credit_code
        self.enterprise_name = enterprise_name
        self.placement = dict(placement)
        self.kind = ReminderKind(kind)
        self.cycle_key = cycle_key
        self.basis_day = date.fromisoformat(basis_day)  # dates travel as ISO text: the log is JSON
        self.deadline = date.fromisoformat(deadline)
        self.fact = fact
        self.rule_version = rule_version
        self.counting = dict(counting)
        self.subject = subject
        self.raised_at = at
        self.escalation_level = 0
        self.escalated_at: datetime | None = None
        self.escalations: list[dict[str, Any]] = []
        self.messages: dict[str, dict[str, str]] = {m["message_id"]: dict(m) for m in messages}
        self.deliveries: dict[str, str] = {}  # message id -> latest result
        self.read: dict[str, str] = {}  # in-app message id -> who read it
        self.responses: list[dict[str, Any]] = []  # supervisors' answers, in order
        self.resolution: dict[str, Any] | None = None
        self.registration = {"credit_code": credit_code, "kind": kind, "cycle_key": cycle_key}

    @classmethod
    def raise_for(cls, due: Raise, credit_code: str, enterprise_name: str, placement: dict[str, str],
                  messages: list[DueMessage], at: datetime, meta: Meta) -> Reminder:
        return cls(credit_code, enterprise_name, placement, due.kind.value, due.cycle_key, due.basis_day.isoformat(),
                   due.deadline.isoformat(),
                   due.fact, due.rule_version, _counting(due.counting), due.subject, [m.as_dict() for m in messages],
                   at, meta)

    @property
    def status(self) -> str:
        if self.ended_reason is not None:
            return self.ended_reason  # resolved / closed
        return "escalated" if self.escalation_level else "open"

    # -- escalation ---------------------------------------------------------------------------------

    def escalate(self, step: Escalate, recipients: list[Recipient], messages: list[DueMessage], at: datetime,
                 meta: Meta) -> None:
        self._require_open()
        if step.level != self.escalation_level + 1:
            raise CommandRefused(f"reminder {self.id} is at escalation level {self.escalation_level}, not {step.level - 1}")
        self._escalated(level=step.level, tier=step.tier, due_since=step.due_since.isoformat(), rule_version=step.rule_version,
                        counting=_counting(step.counting), recipients=[asdict(r) for r in recipients],
                        messages=[m.as_dict() for m in messages], at=at, meta=meta,
                        respond_by=step.respond_by.isoformat() if step.respond_by else None)

    @event("Escalated")
    def _escalated(self, level: int, tier: str, due_since: str, rule_version: int, counting: dict[str, Any],
                   recipients: list[dict[str, str]], messages: list[dict[str, str]], at: datetime, meta: Meta,
                   respond_by: str | None = None) -> None:
        """`respond_by` (ISO day, in the rule's day kind): answered on or before it is in time.
        Escalations recorded before it existed have none; reports then count them by the day kind
        alone (see projections/supervision/closed_loop.py)."""
        self.escalation_level = level
        self.escalated_at = at
        self.escalations.append({"level": level, "tier": tier, "at": at, "recipients": list(recipients),
                                 "respond_by": respond_by, "day_kind": counting.get("day_kind", "calendar")})
        self.messages.update({m["message_id"]: dict(m) for m in messages})

    # -- delivery -----------------------------------------------------------------------------------

    def record_delivery(self, message_id: str, result: str, detail: str, recipient: str, at: datetime, meta: Meta) -> bool:
        """Record what the gateway answered; False (no event) when the message already has a final
        result or the same interim one, so a redelivered result is harmless."""
        if message_id not in self.messages:
            raise CommandRefused(f"reminder {self.id} has no message {message_id}")
        if result not in DELIVERY_RESULTS:
            raise CommandRefused(f"unknown delivery result {result!r}")
        previous = self.deliveries.get(message_id)
        if previous in FINAL_RESULTS or (previous == result and result != "retrying"):
            return False  # each retry is an attempt worth recording; a repeated hold is not
        self._delivery_recorded(message_id=message_id, result=result, detail=detail[:500], recipient=recipient, at=at,
                                meta=meta)
        return True

    @event("DeliveryRecorded")
    def _delivery_recorded(self, message_id: str, result: str, detail: str, recipient: str, at: datetime, meta: Meta) -> None:
        self.deliveries[message_id] = result

    def undelivered(self) -> list[dict[str, str]]:
        """Due messages without a final result: what a dispatcher still has to send."""
        return [m for mid, m in self.messages.items() if self.deliveries.get(mid) not in FINAL_RESULTS]

    # -- supervisors' responses ---------------------------------------------------------------------

    def respond(self, supervisor: str, measures: list[str], result: str, happened_at: datetime,
                attachments: list[str], calendar: WorkCalendar, at: datetime, meta: Meta) -> None:
        """A supervisor's answer (处理措施和结果): several may answer; each answers the escalation
        level in force, which then stops climbing. Refused once the reminder is resolved or closed.

        The answer records its timeliness as decided when it was recorded: the days since the
        escalation in the rule's day kind, and whether it came by the escalation's `respond_by`
        (the recording day counts, not the stated business time, which a late answer could backdate)."""
        self._require_open()
        response_days, in_time = self._timeliness(calendar, at)
        self._responded(supervisor=supervisor, measures=list(measures), result=result, happened_at=happened_at,
                        attachments=list(attachments), level=self.escalation_level, at=at, meta=meta,
                        response_days=response_days, in_time=in_time)

    def _timeliness(self, calendar: WorkCalendar, at: datetime) -> tuple[int | None, bool | None]:
        if not self.escalations:
            return None, None  # answered before any escalation: nothing to be late for
        current = self.escalations[-1]
        start, day = china_day(current["at"]), china_day(at)
        days = calendar.days_between(start, day, current.get("day_kind", "calendar"))
        respond_by = current.get("respond_by")
        return days, (day <= date.fromisoformat(respond_by)) if respond_by else None

    @event("Responded")
    def _responded(self, supervisor: str, measures: list[str], result: str, happened_at: datetime,
                   attachments: list[str], level: int, at: datetime, meta: Meta,
                   response_days: int | None = None, in_time: bool | None = None) -> None:
        self.responses.append({"supervisor": supervisor, "measures": list(measures), "result": result,
                               "happened_at": happened_at, "attachments": list(attachments), "level": level,
                               "response_days": response_days, "in_time": in_time})

    @property
    def answered(self) -> bool:
        """Whether someone answered the escalation level in force (an answer to an earlier level does not count)."""
        return any(r["level"] == self.escalation_level for r in self.responses)

    def escalated_to(self, username: str) -> bool:
        return any(r["username"] == username for e in self.escalations for r in e["recipients"])

    # -- in-app messages ----------------------------------------------------------------------------

    def mark_read(self, message_id: str, reader: str, at: datetime, meta: Meta) -> bool:
        """An in-app message was read; False (no event) when it already was. A read is an event,
        not a flag in a read model, so a rebuilt inbox keeps it."""
        message = self.messages.get(message_id)
        if message is None or message["channel"] != "inapp":
            raise CommandRefused(f"reminder {self.id} has no in-app message {message_id}")
        if message_id in self.read:
            return False
        self._message_read(message_id=message_id, reader=reader, at=at, meta=meta)
        return True

    @event("MessageRead")
    def _message_read(self, message_id: str, reader: str, at: datetime, meta: Meta) -> None:
        self.read[message_id] = reader

    # -- end ----------------------------------------------------------------------------------------

    def resolve(self, evidence: Evidence, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._resolved(position=evidence.position, topic=evidence.topic, complied_at=evidence.at, at=at, meta=meta)

    @event("Resolved")
    def _resolved(self, position: int, topic: str, complied_at: datetime, at: datetime, meta: Meta) -> None:
        self.resolution = {"position": position, "topic": topic, "complied_at": complied_at}
        self.ended_reason = "resolved"

    def close(self, reason: str, at: datetime, meta: Meta) -> None:
        self._require_open()
        self._closed(reason=reason[:500], at=at, meta=meta)

    @event("Closed")
    def _closed(self, reason: str, at: datetime, meta: Meta) -> None:
        self.resolution = {"reason": reason}
        self.ended_reason = "closed"

    def describe(self) -> str:
        return f"reminder {self.id}"


def _counting(counting: Counting) -> dict[str, Any]:
    return {"day_kind": counting.day_kind, "calendar_versions": dict(counting.calendar_versions),
            "fallback_years": list(counting.fallback_years)}
