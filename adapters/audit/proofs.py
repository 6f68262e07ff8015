"""Per-enterprise proofs: one enterprise's sealed events, each with an RFC 6962 inclusion proof in
its checkpoint segment's Merkle tree and that signed checkpoint, so an auditor can check them with
the public key alone (`seal_format.verify_proof`) and without any other enterprise's data: a
proof carries only sibling hashes, never another event.

Which aggregates belong to an enterprise: the enterprise itself (id derived from its credit code)
and every aggregate whose first event names its `credit_code` or `enterprise_id` (risks, hazards,
inspections, subscriptions, reminders, enforcement-plan entries), as the sealer indexed them. A
proof shows that the events it lists are in the sealed log; it cannot show that no event of the
enterprise was left out (a Merkle inclusion proof never can), so the list is what the ledger says
belongs to the enterprise.
"""

from __future__ import annotations

import base64
import hashlib
from bisect import bisect_left
from datetime import datetime
from typing import Any

import orjson

from adapters.audit.seal_format import Checkpoint, canonical, inclusion_path, unpack_leaves
from adapters.audit.store import SealStore
from domain.enterprises.aggregate import Enterprise


def enterprise_proof(store: SealStore, credit_code: str, at: int | None, now: datetime) -> dict[str, Any]:
    enterprise_id = str(Enterprise.create_id(credit_code))
    checkpoint = store.checkpoint_at_or_before(at if at is not None else 2**62)
    document: dict[str, Any] = {
        "credit_code": credit_code, "enterprise_id": enterprise_id, "at": at,
        "sealed_to": checkpoint.position if checkpoint else 0, "generated_at": now.isoformat(),
        "events": [], "checkpoints": [],
        "how_to_check": "adapters/audit/seal_format.py: verify_proof(document, public_key) or "
                        "`ledger audit verify-proof FILE --public-key FILE` (docs/audit-seal.md)",
    }
    if checkpoint is None:
        return document
    aggregates = store.member_aggregates(credit_code, enterprise_id)
    rows = store.events_of(aggregates, checkpoint.position) if aggregates else []
    if not rows:
        return document
    cps = store.checkpoints(after=rows[0][0] - 1, upto=checkpoint.position)
    positions = [c.position for c in cps]
    used: dict[int, Checkpoint] = {}
    trees: dict[int, tuple[list[bytes], dict[int, int]]] = {}
    for row in rows:
        cp = cps[bisect_left(positions, row[0])]
        if cp.position not in trees:
            sealed = unpack_leaves(store.leaves(cp.position) or b"")
            trees[cp.position] = ([leaf for _, leaf in sealed], {p: i for i, (p, _) in enumerate(sealed)})
            used[cp.position] = cp
        leaves, index = trees[cp.position]
        data = canonical(row[0], row[1], row[2], row[3], bytes(row[4]))
        i = index.get(row[0])
        document["events"].append({
            "position": row[0], "aggregate_id": str(row[1]), "version": row[2], "topic": row[3],
            "payload": _payload(bytes(row[4])), "leaf_data": base64.b64encode(data).decode(),
            "leaf_sha256": hashlib.sha256(b"\x00" + data).hexdigest(), "checkpoint": cp.position,
            "leaf_index": i if i is not None else -1, "tree_size": cp.count,
            "inclusion_path": [h.hex() for h in inclusion_path(i, leaves)] if i is not None else [],
        })
    document["checkpoints"] = [cp.as_json() for cp in used.values()]
    return document


def _payload(state: bytes) -> Any:
    """The state decoded for reading (the leaf data holds the exact bytes); None if not JSON."""
    try:
        return orjson.loads(state)
    except orjson.JSONDecodeError:
        return None
