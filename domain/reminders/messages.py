"""The texts that reach people (Chinese: read by enterprise safety officers and supervisors), and
the due messages a reminder event carries: the event is the outbox, so a message is due exactly
when the event that makes it due is stored, in the same transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from uuid import NAMESPACE_URL, uuid5

from domain.reminders.facts import ReminderKind

CHANNELS = ("sms", "inapp")
SIGNATURE = "【双重预防】"


@dataclass(frozen=True)
class DueMessage:
    message_id: str  # also the idempotency key sent to the SMS gateway
    channel: str  # sms | inapp
    recipient: str  # enterprise:<credit code> or user:<username>
    title: str
    text: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def message_id(reminder_id: str, step: str, channel: str, recipient: str) -> str:
    return str(uuid5(NAMESPACE_URL, f"/reminders/{reminder_id}/{step}/{channel}/{recipient}"))


def to_enterprise(reminder_id: str, credit_code: str, name: str, kind: ReminderKind, deadline: date) -> list[DueMessage]:
    what = {
        ReminderKind.RISK_IDENTIFICATION: f"截至{deadline:%Y年%m月%d日}仍未上报风险辨识清单",
        ReminderKind.HAZARD_INVESTIGATION: f"截至{deadline:%Y年%m月%d日}未登记隐患排查情况",
        ReminderKind.RECTIFICATION_OVERDUE: f"有隐患超过整改期限（{deadline:%Y年%m月%d日}）尚未整改验收",
    }[kind]
    title = f"{kind.label_zh}提醒"
    text = f"{SIGNATURE}{name}：贵单位{what}，请尽快登录双重预防系统处理。"
    recipient = f"enterprise:{credit_code}"
    return [DueMessage(message_id(reminder_id, "raised", ch, recipient), ch, recipient, title, text) for ch in CHANNELS]


def to_supervisors(reminder_id: str, level: int, usernames: list[str], credit_code: str, name: str,
                   kind: ReminderKind, raised_day: date) -> list[DueMessage]:
    title = f"{kind.label_zh}提醒升级（第{level}级）"
    text = (f"{SIGNATURE}{name}（{credit_code}）自{raised_day:%Y年%m月%d日}被提醒{kind.label_zh}后仍未整改，"
            f"请及时督促并在系统中登记处理措施和结果。")
    return [DueMessage(message_id(reminder_id, f"escalated-{level}", ch, f"user:{u}"), ch, f"user:{u}", title, text)
            for u in usernames for ch in CHANNELS]
