"""Sends the reminders' due messages and records every result as an event on the reminder.

Nothing lost: a message is due from the moment the event carrying it is stored, and it stays in
the queue until a final result (delivered / failed) is recorded on the reminder. Nothing sent twice:
before sending, the reminder itself (not the lagging queue) is asked whether the message already
has a final result, and every send carries the message id as idempotency key, so a crash between
sending and recording ends in a resend that the gateway recognises.

SMS is held during quiet hours (the rules in force; China time) and after the provider's daily cap
until the next China day; in-app messages are in the inbox already and are recorded as delivered.
A message without a mobile number on record fails with that reason. A gateway failure that may
pass is retried on later rounds, up to `max_attempts`, then recorded as failed. A message that
cannot be handled at all (its reminder unreadable, say) is logged once, skipped after
SET_ASIDE_AFTER rounds and never stops the others; a database outage stops the round instead.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from adapters.persistence.availability import is_database_unavailable
from adapters.sms.gateway import SmsGateway, SmsMessage
from domain.reminders.commands import ReminderCommands
from domain.reminders.days import china_day, china_time
from domain.rules.aggregate import RuleVersion
from domain.shared.codes import MobileNumber
from domain.shared.commands import CommandContext
from domain.shared.meta import Meta
from projections.live import LiveTables
from projections.supervision.outbox import QueuedMessage, due_messages

log = logging.getLogger("ledger.reminders.dispatcher")

SET_ASIDE_AFTER = 3  # rounds a message may fail in for a reason of its own before this process skips it


@dataclass
class DispatchReport:
    results: Counter[str] = field(default_factory=Counter)
    failed: list[str] = field(default_factory=list)


class Dispatcher:
    def __init__(self, live: LiveTables, reminders: ReminderCommands, gateway: SmsGateway,
                 mobile_of: Callable[[str], str | None], rules_at: Callable[[datetime], RuleVersion],
                 max_attempts: int = 5) -> None:
        self._live = live
        self._reminders = reminders
        self._gateway = gateway
        self._mobile_of = mobile_of
        self._rules_at = rules_at
        self._max_attempts = max_attempts
        self._failures: dict[str, int] = {}  # message id -> rounds it failed in (not delivery attempts)

    def run_once(self, now: datetime, limit: int = 200) -> DispatchReport:
        report = DispatchReport()
        quiet = self._rules_at(now).rules.quiet_hours.contains(china_time(now))
        for message in due_messages(self._live, now, limit):
            if self._failures.get(message.message_id, 0) >= SET_ASIDE_AFTER:
                continue  # set aside in this process (logged once); a restart tries again
            try:
                outcome = self._dispatch(message, now, quiet)
            except Exception as error:  # noqa: BLE001 - one message must not stop the others
                if is_database_unavailable(error):
                    raise  # not the message's fault: the round stops, the outage is logged once
                self._set_back(message.message_id, error, report)
                continue
            if outcome:
                report.results[outcome] += 1
        return report

    def _set_back(self, message_id: str, error: Exception, report: DispatchReport) -> None:
        failures = self._failures[message_id] = self._failures.get(message_id, 0) + 1
        report.failed.append(f"{message_id}: {type(error).__name__}: {error}"[:300])
        if failures == 1:
            log.warning("dispatcher: message %s failed: %s: %s", message_id, type(error).__name__, error)
        elif failures == SET_ASIDE_AFTER:
            log.error("dispatcher: message %s set aside after %d failed rounds (last: %s: %s)", message_id,
                      failures, type(error).__name__, error)

    def _dispatch(self, message: QueuedMessage, now: datetime, quiet: bool) -> str | None:
        reminder = self._reminders.get(UUID(message.reminder_id))
        if reminder.deliveries.get(message.message_id) in ("delivered", "failed"):
            return None  # recorded already; the queue has not caught up yet
        if reminder.ended_reason is not None:
            return None  # the lateness ended before this message went out
        if message.channel == "inapp":
            return self._record(message, now, "delivered", "in the inbox", message.recipient)
        if quiet:
            return self._record(message, now, "held", "quiet hours: held until they end", message.recipient)
        if message.status == "capped" and china_day(message.updated_at) == china_day(now):
            return None  # the provider's cap resets with the next China day
        mobile = self._mobile_of(message.recipient)
        if mobile is None:
            return self._record(message, now, "failed", "no mobile number on record", message.recipient)
        masked = MobileNumber(mobile).masked
        sent = self._gateway.send(SmsMessage(message.message_id, mobile, message.text))
        result = sent.result
        if result == "failed" and sent.retryable and message.results + 1 < self._max_attempts:
            result = "retrying"
        return self._record(message, now, result, f"{self._gateway.name}: {sent.detail}", masked)

    def _record(self, message: QueuedMessage, now: datetime, result: str, detail: str, recipient: str) -> str | None:
        ctx = CommandContext(Meta("system:dispatcher", "scheduler", now, message.message_id, message.reminder_id))
        written = self._reminders.record_delivery(ctx, UUID(message.reminder_id), message.message_id, result, detail,
                                                  recipient)
        return result if written is not None else None
