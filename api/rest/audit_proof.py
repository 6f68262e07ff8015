"""Auditor door to the seal (auditors and admins): an enterprise's events with inclusion proofs,
the newest signed digest, the public key. docs/audit-seal.md says how to check what they return."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from api.deps import AuditorDep, ServicesDep
from api.schemas.audit_seal import EnterpriseProof, SealDigest, SealPublicKey
from api.schemas.common import PROBLEMS
from domain.shared.errors import NotFound

router = APIRouter(prefix="/audit", tags=["audit"], responses=PROBLEMS)

CreditCode = Annotated[str, Path(min_length=18, max_length=18, pattern="^[0-9A-HJ-NPQRTUWXY]{18}$",
                                 description="统一社会信用代码")]


@router.get("/enterprises/{credit_code}/proof", response_model=EnterpriseProof)
def enterprise_proof(credit_code: CreditCode, _: AuditorDep, services: ServicesDep,
                     at: Annotated[int | None, Query(ge=1, le=2**62, description="prove events up to the last checkpoint at or before this position (default: the newest)")] = None) -> Any:
    """The enterprise's sealed events up to `at`, each with its leaf data, its segment's signed
    checkpoint and its RFC 6962 inclusion proof: checkable with the public key alone and without
    any other enterprise's data (`ledger audit verify-proof`)."""
    assert services.seal is not None
    document = services.seal.proof(credit_code, at)
    if not document["events"] and not services.seal.store.member_aggregates(credit_code, document["enterprise_id"]):
        raise NotFound(f"no sealed events of enterprise {credit_code}")
    return document


@router.get("/seal/digest", response_model=SealDigest)
def seal_digest(_: AuditorDep, services: ServicesDep,
                at: Annotated[int | None, Query(ge=1, le=2**62, description="the last checkpoint at or before this position (default: the newest)")] = None) -> Any:
    """A signed digest of the sealed log, for publication (`ledger audit verify --digest`)."""
    assert services.seal is not None
    digest = services.seal.digest(at)
    if digest is None:
        raise NotFound("nothing is sealed yet" if at is None else f"nothing is sealed at or before position {at}")
    return digest


@router.get("/seal/public-key", response_model=SealPublicKey)
def seal_public_key(_: AuditorDep, services: ServicesDep) -> SealPublicKey:
    """The seal's signing key: its key id and public key (PEM); compare both with the published ones."""
    assert services.seal is not None
    key = services.seal.key()
    return SealPublicKey(key_id=key.key_id, public_key_pem=key.public_pem())
