"""The ledger seal's formats, and a standalone checker for what the seal publishes.

This one file is what an auditor needs to check a digest or an enterprise proof without the rest
of the ledger: it imports only the standard library and `cryptography` (Ed25519). The ledger's
sealer, verifier and proof builder use these same functions, so the format has one definition.
docs/audit-seal.md describes every byte.

- Canonical bytes of a stored event (format 1), fixed-width fields first, then length-prefixed:
  position (u64 BE) | originator id (16 bytes, the UUID's bytes) | originator version (i64 BE) |
  topic length (u32 BE) | topic (UTF-8) | state length (u32 BE) | state (the stored bytes as written)
- Chain: h_0 = SHA-256("dual-prevention-ledger seal v1"), h_n = SHA-256(h_{n-1} || canonical(n)),
  over the stored events in position order (gaps in positions are simply not there).
- Merkle tree per checkpoint segment, RFC 6962 hashing: leaf = SHA-256(0x00 || canonical),
  node = SHA-256(0x01 || left || right), the left subtree the largest power of two below n.
- A checkpoint's signed message: UTF-8 lines `name=value` in a fixed order (`checkpoint_message`),
  signed with Ed25519; key id = first 16 hex digits of SHA-256(raw 32-byte public key).
"""

from __future__ import annotations

import base64
import hashlib
import struct
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

FORMAT = 1
GENESIS = hashlib.sha256(b"dual-prevention-ledger seal v1").digest()
EMPTY_ROOT = hashlib.sha256(b"").digest()
_HEAD = struct.Struct(">Q16sq")
_LEN = struct.Struct(">I")
_LEAF_ENTRY = struct.Struct(">Q32s")  # one event in a checkpoint's leaf list: position, leaf hash
_sha = hashlib.sha256


# --- canonical bytes -----------------------------------------------------------------------------

def canonical(position: int, originator_id: uuid.UUID | bytes, version: int, topic: str, state: bytes) -> bytes:
    """The bytes sealed for one stored event (format 1)."""
    raw_id = originator_id if isinstance(originator_id, bytes) else originator_id.bytes
    topic_bytes = topic.encode()
    return b"".join((_HEAD.pack(position, raw_id, version), _LEN.pack(len(topic_bytes)), topic_bytes,
                     _LEN.pack(len(state)), bytes(state)))


@dataclass(frozen=True)
class Record:
    """A stored event read back from its canonical bytes."""

    position: int
    originator_id: uuid.UUID
    version: int
    topic: str
    state: bytes


def decode(data: bytes) -> Record:
    """The fields of canonical bytes; ValueError if they are not well formed (format 1)."""
    data = bytes(data)
    if len(data) < _HEAD.size + 2 * _LEN.size:
        raise ValueError("canonical bytes too short")
    position, raw_id, version = _HEAD.unpack_from(data, 0)
    at = _HEAD.size
    (topic_len,) = _LEN.unpack_from(data, at)
    at += _LEN.size
    topic = data[at: at + topic_len].decode()
    at += topic_len
    (state_len,) = _LEN.unpack_from(data, at)
    at += _LEN.size
    if at + state_len != len(data):
        raise ValueError("canonical bytes: lengths do not add up")
    return Record(position, uuid.UUID(bytes=raw_id), version, topic, data[at:])


def position_of(data: bytes | memoryview) -> int:
    return int.from_bytes(data[:8], "big")


def chain(previous: bytes, records: Iterable[bytes | memoryview]) -> bytes:
    """Extend the chain hash `previous` over canonical records, in order."""
    h = previous
    for record in records:
        h = _sha(h + record).digest()
    return h


# --- RFC 6962 Merkle tree ------------------------------------------------------------------------

def leaf_hash(data: bytes | memoryview) -> bytes:
    return _sha(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return _sha(b"\x01" + left + right).digest()


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """The RFC 6962 tree head over leaf hashes (not data), in O(n) with a stack of perfect subtrees."""
    if not leaves:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []  # (size, hash) of perfect subtrees, largest first
    for leaf in leaves:
        size, h = 1, leaf
        while stack and stack[-1][0] == size:
            left = stack.pop()[1]
            size, h = size * 2, node_hash(left, h)
        stack.append((size, h))
    h = stack.pop()[1]
    while stack:
        h = node_hash(stack.pop()[1], h)
    return h


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """RFC 6962 PATH(m, D[n]): the audit path of leaf `index`, nearest sibling first."""
    if not 0 <= index < len(leaves):
        raise ValueError("leaf index out of range")
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    frames: list[bytes] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            frames.append(merkle_root(leaves[lo + k: hi]))
            hi = lo + k
        else:
            frames.append(merkle_root(leaves[lo: lo + k]))
            lo, m = lo + k, m - k
    path.extend(reversed(frames))
    return path


def verify_inclusion(index: int, size: int, leaf: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 section 2.1.3.2: does `path` prove leaf hash `leaf` at `index` in the tree of `size` with `root`?"""
    if index >= size or index < 0:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def pack_leaves(entries: Iterable[tuple[int, bytes]]) -> bytes:
    """A checkpoint's leaf list: (position, leaf hash) per event, 40 bytes each."""
    return b"".join(_LEAF_ENTRY.pack(p, h) for p, h in entries)


def unpack_leaves(blob: bytes) -> list[tuple[int, bytes]]:
    if len(blob) % _LEAF_ENTRY.size:
        raise ValueError("leaf list length is not a multiple of 40")
    return list(_LEAF_ENTRY.iter_unpack(blob))


# --- checkpoints and signatures ------------------------------------------------------------------

@dataclass(frozen=True)
class Checkpoint:
    """A sealed segment: the events after `after` up to `position` (`count` of them)."""

    position: int
    after: int
    count: int
    chain_hash: bytes
    merkle_root: bytes
    leaves_sha256: bytes
    sealed_at: str  # ISO 8601, UTC, as signed
    key_id: str
    signature: bytes

    def message(self) -> bytes:
        return checkpoint_message(self.position, self.after, self.count, self.chain_hash, self.merkle_root,
                                  self.leaves_sha256, self.sealed_at, self.key_id)

    def as_json(self) -> dict[str, Any]:
        return {"format": FORMAT, "position": self.position, "after": self.after, "count": self.count,
                "chain_hash": self.chain_hash.hex(), "merkle_root": self.merkle_root.hex(),
                "leaves_sha256": self.leaves_sha256.hex(), "sealed_at": self.sealed_at, "key_id": self.key_id,
                "signature": base64.b64encode(self.signature).decode()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Checkpoint:
        if data.get("format", FORMAT) != FORMAT:
            raise ValueError(f"unknown seal format {data.get('format')!r}")
        return cls(int(data["position"]), int(data["after"]), int(data["count"]), bytes.fromhex(data["chain_hash"]),
                   bytes.fromhex(data["merkle_root"]), bytes.fromhex(data["leaves_sha256"]), str(data["sealed_at"]),
                   str(data["key_id"]), base64.b64decode(data["signature"]))


def checkpoint_message(position: int, after: int, count: int, chain_hash: bytes, merkle_root: bytes, leaves_sha256: bytes,
                       sealed_at: str, key_id: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    lines = ["dual-prevention-ledger seal checkpoint", f"format={FORMAT}", f"position={position}", f"after={after}",
             f"count={count}", f"chain_hash={chain_hash.hex()}", f"merkle_root={merkle_root.hex()}",
             f"leaves_sha256={leaves_sha256.hex()}", f"sealed_at={sealed_at}", f"key_id={key_id}"]
    return ("\n".join(lines) + "\n").encode()


def key_id_of(raw_public_key: bytes) -> str:
    return _sha(raw_public_key).hexdigest()[:16]


def load_public_key(pem_or_raw: bytes) -> Any:
    """An Ed25519 public key from PEM (SubjectPublicKeyInfo) or its raw 32 bytes."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    if len(pem_or_raw) == 32:
        return Ed25519PublicKey.from_public_bytes(pem_or_raw)
    key = load_pem_public_key(pem_or_raw)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def raw_public(key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def signature_problem(checkpoint: Checkpoint, public_keys: dict[str, Any]) -> str | None:
    """Why the checkpoint's signature does not hold under the trusted keys (by key id), or None."""
    from cryptography.exceptions import InvalidSignature

    key = public_keys.get(checkpoint.key_id)
    if key is None:
        return f"signed with unknown key {checkpoint.key_id}"
    try:
        key.verify(checkpoint.signature, checkpoint.message())
    except InvalidSignature:
        return f"signature does not match its content (key {checkpoint.key_id})"
    return None


# --- the standalone proof checker ----------------------------------------------------------------

def verify_proof(document: dict[str, Any], public_key: bytes) -> list[str]:
    """Check an enterprise proof (GET /api/v1/audit/enterprises/{credit_code}/proof) with only the
    ledger's public key (PEM or raw). Returns the problems found; an empty list means every event
    in the document is in the sealed log, at its position, byte for byte as stored.

    Each event's leaf data is decoded and compared with the fields shown beside it, hashed as an
    RFC 6962 leaf, taken up its inclusion path to its segment's Merkle root, and that root must be
    the one in a checkpoint signed by the key."""
    key = load_public_key(public_key)
    keys = {key_id_of(raw_public(key)): key}
    problems: list[str] = []
    checkpoints: dict[int, Checkpoint] = {}
    for data in document.get("checkpoints", []):
        try:
            cp = Checkpoint.from_json(data)
        except (KeyError, ValueError) as error:
            problems.append(f"checkpoint {data.get('position')}: unreadable ({error})")
            continue
        problem = signature_problem(cp, keys)
        if problem:
            problems.append(f"checkpoint {cp.position}: {problem}")
            continue
        checkpoints[cp.position] = cp
    for event in document.get("events", []):
        position = event.get("position")
        try:
            data = base64.b64decode(event["leaf_data"])
            record = decode(data)
        except (KeyError, ValueError) as error:
            problems.append(f"event {position}: leaf data unreadable ({error})")
            continue
        shown = (event.get("position"), event.get("aggregate_id"), event.get("version"), event.get("topic"))
        if shown != (record.position, str(record.originator_id), record.version, record.topic):
            problems.append(f"event {position}: the fields shown differ from its leaf data")
            continue
        if "state" in event and base64.b64decode(event["state"]) != record.state:
            problems.append(f"event {position}: the state shown differs from its leaf data")
            continue
        cp = checkpoints.get(event.get("checkpoint"))
        if cp is None:
            problems.append(f"event {position}: no valid signed checkpoint {event.get('checkpoint')}")
            continue
        if not cp.after < record.position <= cp.position:
            problems.append(f"event {position}: outside its checkpoint's segment ({cp.after}, {cp.position}]")
            continue
        path = [bytes.fromhex(h) for h in event.get("inclusion_path", [])]
        if event.get("tree_size") != cp.count or not verify_inclusion(
                int(event.get("leaf_index", -1)), cp.count, leaf_hash(data), path, cp.merkle_root):
            problems.append(f"event {position}: not included in checkpoint {cp.position}'s Merkle tree "
                            "(changed, or not the event sealed there)")
    return problems
