"""Verify the sealed log: recompute the chain from the stored events and hold it against the signed
checkpoints (or against one published digest), and name the first position that differs.

What is checked, segment by segment in position order (the first problem found is the answer):
1. the checkpoints table itself: each checkpoint follows the previous one (`after` equals the
   previous position; the first follows 0), and its Ed25519 signature holds under a trusted key;
2. the chain: SHA-256 over the stored events' canonical bytes from the previous checkpoint's hash
   must give this checkpoint's hash, over exactly `count` events;
3. where it does not, the segment's signed leaf list (position and leaf hash of every sealed
   event) is compared with the stored events one by one: the first stored event whose leaf
   differs was changed (or holds an event sealed at another position: reordered), a sealed
   position with no stored event was deleted, a stored position that was never sealed was inserted.
Events after the last checkpoint are not sealed yet and cannot be verified; the result says how
far the seal reaches. Gaps in positions are not findings: the chain covers the records that exist,
and the leaf list says which those were.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from adapters.audit.seal_format import (GENESIS, Checkpoint, leaf_hash, merkle_root, position_of, signature_problem,
                                        unpack_leaves)
from adapters.audit.store import SealStore


@dataclass(frozen=True)
class Finding:
    position: int
    kind: str  # changed | reordered | deleted | inserted | checkpoint | leaf-list | digest
    message: str


@dataclass
class VerifyResult:
    finding: Finding | None = None
    after: int = 0  # verified range: positions after this ...
    upto: int = 0  # ... up to this one
    events: int = 0
    checkpoints: int = 0
    sealed_to: int = 0  # last checkpoint's position
    head: int = 0  # last stored position
    key_ids: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)
    digest: bool = False  # checked against a published digest rather than the checkpoints table

    @property
    def intact(self) -> bool:
        return self.finding is None

    def summary(self) -> str:
        if self.finding is not None:
            return f"NOT INTACT: first difference at position {self.finding.position}: {self.finding.message}"
        if self.digest:
            return (f"intact: the log up to position {self.upto} matches the digest ({self.events} events; "
                    f"key {', '.join(sorted(self.key_ids))})")
        if self.checkpoints == 0:
            return f"nothing sealed in the range yet (head {self.head}, sealed to {self.sealed_to})"
        tail = (f"; positions after {self.sealed_to} (up to {self.head}) are not sealed yet"
                if self.head > self.sealed_to and self.upto == self.sealed_to else "")
        return (f"intact: positions {self.after + 1}..{self.upto}, {self.events} events in {self.checkpoints} "
                f"signed checkpoints (keys {', '.join(sorted(self.key_ids))}){tail}")


class Verifier:
    def __init__(self, store: SealStore, keys: dict[str, Any]) -> None:
        self.store = store
        self.keys = keys

    # --- against the checkpoints table --------------------------------------------------------

    def verify(self, from_position: int | None = None, to_position: int | None = None, *, deep: bool = False,
               chunk: int = 20_000) -> VerifyResult:
        cps = self.store.checkpoints()
        result = VerifyResult(sealed_to=cps[-1].position if cps else 0, head=self.store.head())
        if not cps:
            return result
        structural = _structure(cps)
        start = 0 if from_position is None else bisect_right([c.position for c in cps], from_position - 1)
        end = len(cps) - 1 if to_position is None else min(len(cps) - 1,
                                                            bisect_right([c.position for c in cps], to_position - 1))
        if start > end:
            result.notes.append("no sealed segment in the range")
            return result
        h = cps[start - 1].chain_hash if start > 0 else GENESIS
        if start > 0:  # the starting hash is trusted only through its signature
            if (problem := signature_problem(cps[start - 1], self.keys)) is not None:
                result.finding = Finding(cps[start - 1].position, "checkpoint",
                                         f"checkpoint at {cps[start - 1].position}: {problem}")
                return result
        result.after, result.upto = cps[start].after, cps[end].position
        k, count = start, 0
        sha = hashlib.sha256

        def close(k: int, h: bytes, count: int) -> Finding | None:
            cp = cps[k]
            if (problem := structural.get(k)) is not None:
                return problem
            if (problem := signature_problem(cp, self.keys)) is not None:
                return Finding(cp.position, "checkpoint", f"checkpoint at {cp.position}: {problem} "
                               "(the checkpoints table was changed, or a key is not trusted)")
            result.key_ids.add(cp.key_id)
            if h != cp.chain_hash or count != cp.count:
                return self.locate(cp, cps[k - 1].chain_hash if k > 0 else GENESIS)
            return None

        if not deep:  # the hot path: each segment's events taken by its signed count
            for h, count in self.store.chain_segments(cps[start].after, cps[end].position, h,
                                                      [c.count for c in cps[start: end + 1]]):
                if k > end:  # events left over after the last window: some were inserted
                    result.finding = self.locate(cps[end], cps[end - 1].chain_hash if end > 0 else GENESIS)
                    return result
                if (finding := close(k, h, count)) is not None:
                    result.finding = finding
                    return result
                result.events += count
                result.checkpoints += 1
                k += 1
            return result

        leaves: list[bytes] = []
        boundary = cps[k].position
        for records in self.store.canonical_chunks(cps[start].after, cps[end].position, chunk):
            i, n = 0, len(records)
            while i < n:
                j = bisect_right(records, boundary, lo=i, key=position_of)
                for record in records[i:j]:
                    h = sha(h + record).digest()
                if deep:
                    leaves.extend(leaf_hash(r) for r in records[i:j])
                count += j - i
                i = j
                if j < n:  # segment k is complete
                    if (finding := close(k, h, count)) is not None or (
                            deep and (finding := _root_check(cps[k], leaves)) is not None):
                        result.finding = finding
                        return result
                    result.events += count
                    result.checkpoints += 1
                    k, count, leaves = k + 1, 0, []
                    boundary = cps[min(k, end)].position
        while k <= end:  # the last segment, and any whose events are all gone
            if (finding := close(k, h, count)) is not None or (
                    deep and (finding := _root_check(cps[k], leaves)) is not None):
                result.finding = finding
                return result
            result.events += count
            result.checkpoints += 1
            k, count, leaves = k + 1, 0, []
        return result

    def locate(self, cp: Checkpoint, start_hash: bytes) -> Finding:
        """The first stored event of `cp`'s segment that differs from what was sealed."""
        first = cp.after + 1
        blob = self.store.leaves(cp.position) or b""
        if hashlib.sha256(blob).digest() != cp.leaves_sha256:
            return Finding(first, "leaf-list", f"the events after {cp.after} up to {cp.position} differ from what "
                           f"was sealed, and checkpoint {cp.position}'s leaf list was changed too, so the event "
                           "cannot be named more closely")
        sealed = unpack_leaves(blob)
        by_leaf = {leaf: position for position, leaf in sealed}
        stored = [r for records in self.store.canonical_chunks(cp.after, cp.position) for r in records]
        i = j = 0
        while i < len(stored) and j < len(sealed):
            position, (sealed_position, sealed_leaf) = position_of(stored[i]), sealed[j]
            if position == sealed_position:
                if leaf_hash(stored[i]) != sealed_leaf:
                    return _changed(position, bytes(stored[i]), by_leaf)
                i, j = i + 1, j + 1
            elif position < sealed_position:
                return Finding(position, "inserted", f"position {position} holds an event that was never sealed "
                               f"(inserted into checkpoint {cp.position}'s segment)")
            else:
                return Finding(sealed_position, "deleted", f"the event sealed at position {sealed_position} "
                               "is missing (deleted)")
        if i < len(stored):
            position = position_of(stored[i])
            return Finding(position, "inserted", f"position {position} holds an event that was never sealed "
                           f"(inserted into checkpoint {cp.position}'s segment)")
        if j < len(sealed):
            return Finding(sealed[j][0], "deleted", f"the event sealed at position {sealed[j][0]} is missing (deleted)")
        return Finding(cp.position, "checkpoint", f"checkpoint at {cp.position}: its chain hash does not follow from "
                       "the events its own leaf list seals (the checkpoint was computed wrongly)")

    # --- against a published digest -----------------------------------------------------------

    def verify_digest(self, digest: dict[str, Any], chunk: int = 20_000) -> VerifyResult:
        """The stored log against a digest, trusting only `self.keys` (the published public key):
        the chain from the genesis to the digest's position must give its hash, and the digest's
        segment its Merkle root. A difference is then located through the checkpoints table, as
        far as its checkpoints hold under the same key."""
        result = VerifyResult(head=self.store.head(), digest=True)
        cp = Checkpoint.from_json(digest)
        result.sealed_to = cp.position
        if (problem := signature_problem(cp, self.keys)) is not None:
            result.finding = Finding(cp.position, "digest", f"the digest itself does not hold: {problem}")
            return result
        result.key_ids.add(cp.key_id)
        h, count, segment = GENESIS, 0, []
        sha = hashlib.sha256
        for records in self.store.canonical_chunks(0, cp.position, chunk):
            for record in records:
                h = sha(h + record).digest()
            count += len(records)
            if position_of(records[-1]) > cp.after:
                segment.extend(leaf_hash(r) for r in records if position_of(r) > cp.after)
        result.upto, result.events, result.checkpoints = cp.position, count, 1
        if h == cp.chain_hash and len(segment) == cp.count and merkle_root(segment) == cp.merkle_root:
            return result
        located = self.verify(to_position=cp.position)
        result.finding = located.finding or Finding(cp.position, "digest", (
            f"the log up to position {cp.position} does not give the digest's hash, and the checkpoints "
            "table does not show where (it was rewritten consistently)"))
        return result


def _structure(cps: list[Checkpoint]) -> dict[int, Finding]:
    """Checkpoints that do not follow their predecessor, by index."""
    found: dict[int, Finding] = {}
    previous = 0
    for k, cp in enumerate(cps):
        if cp.after != previous:
            what = "missing" if cp.after > previous else "overlapping"
            found[k] = Finding(min(previous, cp.after) + 1, "checkpoint", (
                f"checkpoint at {cp.position} follows {cp.after}, but the previous checkpoint is at {previous} "
                f"(a checkpoint is {what}: the checkpoints table was changed)"))
        elif cp.count < 1 or cp.position <= cp.after:
            found[k] = Finding(cp.position, "checkpoint", f"checkpoint at {cp.position} seals no events")
        previous = cp.position
    return found


def _root_check(cp: Checkpoint, leaves: list[bytes]) -> Finding | None:
    if merkle_root(leaves) != cp.merkle_root:
        return Finding(cp.position, "checkpoint", f"checkpoint at {cp.position}: its Merkle root is not the root of "
                       "its segment's events")
    return None


def _changed(position: int, stored: bytes, by_leaf: dict[bytes, int]) -> Finding:
    for sealed_position in set(by_leaf.values()):  # is it an event sealed elsewhere, moved here?
        if sealed_position != position and by_leaf.get(
                leaf_hash(sealed_position.to_bytes(8, "big") + stored[8:])) == sealed_position:
            return Finding(position, "reordered", f"position {position} holds the event sealed at position "
                           f"{sealed_position} (events were reordered)")
    return Finding(position, "changed", f"the event at position {position} was changed after it was sealed")
