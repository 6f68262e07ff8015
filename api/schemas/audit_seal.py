"""Response models of the seal's REST door (api/rest/audit_proof.py); formats in docs/audit-seal.md."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class SignedCheckpoint(BaseModel):
    format: int = Field(description="seal format (1)")
    position: int = Field(description="last position of the segment")
    after: int = Field(description="the previous checkpoint's position (0 for the first): the segment is (after, position]")
    count: int = Field(description="events in the segment (= Merkle tree size)")
    chain_hash: str = Field(description="hex SHA-256 chain hash after the segment's last event")
    merkle_root: str = Field(description="hex RFC 6962 root over the segment's events")
    leaves_sha256: str = Field(description="hex SHA-256 of the segment's stored leaf list")
    sealed_at: str = Field(description="when the checkpoint was signed (ISO 8601, UTC)")
    key_id: str = Field(description="first 16 hex digits of SHA-256 of the raw Ed25519 public key")
    signature: str = Field(description="base64 Ed25519 signature over the checkpoint's message")


class SealDigest(SignedCheckpoint):
    ledger: str
    kind: str
    exported_at: str


class SealPublicKey(BaseModel):
    key_id: str = Field(description="first 16 hex digits of SHA-256 of the raw Ed25519 public key")
    public_key_pem: str = Field(description="the Ed25519 public key, PEM (SubjectPublicKeyInfo)")


class ProvenEvent(BaseModel):
    position: int
    aggregate_id: str
    version: int
    topic: str
    payload: Any = Field(None, description="the stored state decoded for reading; the leaf data holds the exact bytes")
    leaf_data: str = Field(description="base64 canonical bytes of the stored event (what was sealed)")
    leaf_sha256: str = Field(description="hex RFC 6962 leaf hash, SHA-256(0x00 || leaf data)")
    checkpoint: int = Field(description="position of the signed checkpoint whose segment holds the event")
    leaf_index: int = Field(description="index in the segment's Merkle tree (-1: the event was never sealed)")
    tree_size: int
    inclusion_path: list[str] = Field(description="hex sibling hashes, nearest first (RFC 6962 PATH)")


class EnterpriseProof(BaseModel):
    credit_code: str
    enterprise_id: str
    at: int | None
    sealed_to: int = Field(description="events up to this position (the last checkpoint at or before `at`) are proven")
    generated_at: str
    events: list[ProvenEvent]
    checkpoints: list[SignedCheckpoint]
    how_to_check: str
