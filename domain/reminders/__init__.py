"""Reminders (提醒) and their escalation (升级通知) to supervisors."""
