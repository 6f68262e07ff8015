"""The seal's formats: RFC 6962 Merkle hashing against Certificate Transparency's reference vectors
(google/certificate-transparency, cpp/merkletree/merkle_tree_test.cc: the eight leaves, the tree
heads of sizes 0..8, inclusion paths), the canonical bytes, and the checkpoint signature."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from adapters.audit.keys import SealKey, SealKeyError, parse_private_key
from adapters.audit.seal_format import (EMPTY_ROOT, Checkpoint, canonical, checkpoint_message, decode, inclusion_path,
                                        key_id_of, leaf_hash, merkle_root, raw_public, signature_problem,
                                        verify_inclusion)

LEAVES = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
# (leaf index counted from 1 as in the reference, tree size, path)
INCLUSION = [
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]
HASHES = [leaf_hash(d) for d in LEAVES]


def test_tree_heads_match_the_reference_for_every_size() -> None:
    assert merkle_root([]) == EMPTY_ROOT
    for size in range(9):
        assert merkle_root(HASHES[:size]).hex() == ROOTS[size], size


@pytest.mark.parametrize(("leaf", "size", "path"), INCLUSION)
def test_inclusion_paths_match_the_reference_and_verify(leaf: int, size: int, path: list[str]) -> None:
    index = leaf - 1
    assert [h.hex() for h in inclusion_path(index, HASHES[:size])] == path
    root = bytes.fromhex(ROOTS[size])
    proof = [bytes.fromhex(h) for h in path]
    assert verify_inclusion(index, size, HASHES[index], proof, root)
    assert not verify_inclusion(index, size, leaf_hash(b"\x01"), proof, root)  # another leaf
    assert not verify_inclusion(index, size, HASHES[index], proof, bytes.fromhex(ROOTS[size - 1]))  # another root


def test_every_leaf_of_every_small_tree_proves_and_only_at_its_index() -> None:
    leaves = [leaf_hash(bytes([i, i * 7 % 256])) for i in range(37)]
    for size in range(1, 38):
        root = merkle_root(leaves[:size])
        for index in range(size):
            path = inclusion_path(index, leaves[:size])
            assert verify_inclusion(index, size, leaves[index], path, root)
            if size > 1:
                assert not verify_inclusion((index + 1) % size, size, leaves[index], path, root)


def test_leaf_and_node_hashes_are_domain_separated() -> None:
    assert leaf_hash(b"").hex() == ROOTS[1]
    two = merkle_root(HASHES[:2])
    assert two == hashlib.sha256(b"\x01" + HASHES[0] + HASHES[1]).digest()


def test_canonical_bytes_are_length_prefixed_and_round_trip() -> None:
    aggregate = uuid.uuid4()
    data = canonical(42, aggregate, 3, "domain.risks:Risk.Identified", b'{"a":1}')
    assert data[:8] == (42).to_bytes(8, "big") and data[8:24] == aggregate.bytes and data[24:32] == (3).to_bytes(8, "big")
    record = decode(data)
    assert (record.position, record.originator_id, record.version, record.topic, record.state) == (
        42, aggregate, 3, "domain.risks:Risk.Identified", b'{"a":1}')
    # moving a byte between topic and state changes the bytes: no two records encode alike
    assert canonical(1, aggregate, 1, "ab", b"c") != canonical(1, aggregate, 1, "a", b"bc")
    with pytest.raises(ValueError):
        decode(data + b"x")


def _signed(private: Ed25519PrivateKey, **changes: object) -> Checkpoint:
    key_id = key_id_of(raw_public(private.public_key()))
    fields = dict(position=10, after=0, count=10, chain_hash=b"\x01" * 32, merkle_root=b"\x02" * 32,
                  leaves_sha256=b"\x03" * 32, sealed_at="2026-11-23T09:00:00.000000+00:00", key_id=key_id)
    message = checkpoint_message(**fields)  # type: ignore[arg-type]
    return Checkpoint(**{**fields, **changes}, signature=private.sign(message))  # type: ignore[arg-type]


def test_a_checkpoint_signature_covers_every_field_and_names_its_key() -> None:
    private = Ed25519PrivateKey.generate()
    keys = {key_id_of(raw_public(private.public_key())): private.public_key()}
    assert signature_problem(_signed(private), keys) is None
    assert "does not match" in (signature_problem(_signed(private, chain_hash=b"\x09" * 32), keys) or "")
    assert "does not match" in (signature_problem(_signed(private, after=1), keys) or "")
    other = Ed25519PrivateKey.generate()
    assert "unknown key" in (signature_problem(_signed(other), keys) or "")
    assert Checkpoint.from_json(_signed(private).as_json()) == _signed(private)


def test_the_private_key_is_read_from_pem_hex_or_base64() -> None:
    private = Ed25519PrivateKey.generate()
    key = SealKey(private, "test")
    seed = parse_private_key(key.private_pem().encode())
    assert raw_public(seed.public_key()) == raw_public(private.public_key())
    raw = bytes(range(32))
    assert raw_public(parse_private_key(raw.hex().encode()).public_key()) == raw_public(
        parse_private_key(__import__("base64").b64encode(raw)).public_key())
    with pytest.raises(SealKeyError):
        parse_private_key(b"not a key")
