"""The write model: aggregates, events, value objects and application services.

Import rule: this package imports only the standard library and `eventsourcing`. No web framework,
no SQL, no broker, and no clock reads: times arrive as arguments so that rules are testable.
"""
