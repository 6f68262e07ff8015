"""What the runner needs from a projection, and nothing more.

A projection is a name, a version, the templates of its tables, the topics it reads, and one
method that applies a *batch* of decoded events to its tables through a store the runner gives it
(projections/store.py: reads through the runner's row cache, writes that the runner may run later
on a writer thread). The runner puts the tracking update in the same transaction as the writes,
so `apply` must write only through the store, and only to the tables it is given (another
projection's tables may be at another position, or in another generation).

Why not the library's `Projection`/`ProjectionRunner`: they process and commit one event at a
time (catch-up is then bound by commit latency) and subscribe through LISTEN/NOTIFY, which SQLite
lacks. Batches of ~1,000 events per transaction are what make 20k events/s reachable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from sqlalchemy import Table

from projections.store import Store

# (notification position, decoded domain event)
Positioned = tuple[int, Any]

# The envelope every ledger event carries and no read model here reads: who, through which
# channel, when recorded (`meta`), the library's own `timestamp`, and the aggregate's topic.
ENVELOPE = frozenset({"meta", "timestamp", "originator_topic"})


class Projection(Protocol):
    name: str
    version: int  # bump to rebuild from the start on the next `ensure_current()`
    tables: tuple[Table, ...]  # templates from projections.schema
    topics: tuple[str, ...]  # event topics it reads; never empty
    # Optional: `unread_fields: frozenset[str]`, event attributes `apply` never reads (e.g. the
    # envelope: "meta", "timestamp", "originator_topic"). When no projection of a catch-up reads
    # one, it is not decoded and the events lack it (projections/decoding.py).
    # Optional: `readable_from: int`, the oldest version whose tables this code can query (a
    # version that changed the tables' shape): older live tables answer "not ready" while the
    # rebuild runs, instead of failing on a missing column (projections/live.py).

    def apply(self, store: Store, tables: Mapping[str, Table], events: Sequence[Positioned]) -> None:
        """Apply events (in log order) to `tables` (template name -> this generation's table)."""
