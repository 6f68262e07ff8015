"""Read models of the supervision half: the reminder scan's facts, reminders, the outbox, inboxes."""
