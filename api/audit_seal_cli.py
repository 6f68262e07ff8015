"""`ledger audit ...`: the auditor's command group, and its seal commands (seal run/status, verify,
digest, public-key, verify-proof). Other audit commands add themselves to `audit_app`.
docs/audit-seal.md is the manual."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Optional

import typer

from adapters.audit.keys import SealKeyError
from adapters.audit.seal import Seal
from adapters.audit.seal_format import verify_proof
from api.bootstrap import Services, bootstrap
from api.settings import Settings
from schedulers.seal_worker import SealWorker

audit_app = typer.Typer(help="Auditors: the sealed ledger (hash chain, signed checkpoints, digests, proofs)",
                        no_args_is_help=True)
seal_app = typer.Typer(help="The seal follower (`ledger serve` runs one unless LEDGER_SEAL=off)", no_args_is_help=True)
audit_app.add_typer(seal_app, name="seal")


def _services(settings: Settings | None = None) -> Services:
    """The composition root without background parts: these commands run their own work."""
    settings = settings or Settings()
    return bootstrap(settings.model_copy(update={"projections": "off", "reminders": "off", "nats_url": None,
                                                 "seal": "off"}))


def _seal(services: Services) -> Seal:
    assert services.seal is not None
    return services.seal


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@seal_app.command("run")
def seal_run(once: Annotated[bool, typer.Option("--once", help="seal up to the head, then exit")] = False) -> None:
    """Keep the seal current until interrupted (one process of a deployment leads, others stand by)."""
    settings = Settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    services = _services(settings)
    worker = SealWorker(_seal(services), poll_interval=settings.seal_poll_seconds)
    try:
        if once:
            report = worker.run(once=True)
            if report is None:
                _fail("another process holds the seal lock")
            else:
                typer.echo(f"sealed to {report.position}: {report.checkpoints} new checkpoint(s), {report.events} "
                           f"events; {report.pending} event(s) wait for the next checkpoint")
        else:
            try:
                worker.run()
            except KeyboardInterrupt:
                worker.stop_event.set()
    except SealKeyError as error:
        _fail(str(error), 2)
    finally:
        services.close()


@seal_app.command("status")
def seal_status() -> None:
    """How far the seal reaches, its last checkpoint and the signing key."""
    services = _services()
    try:
        store = _seal(services).store
        last, head = store.last_checkpoint(), store.head()
        key = _seal(services).key()
    except SealKeyError as error:
        _fail(str(error), 2)
        return
    finally:
        services.close()
    if last is None:
        typer.echo(f"nothing sealed yet; head {head}; signing key {key.key_id} ({key.source})")
    else:
        typer.echo(f"sealed to {last.position} (last checkpoint {last.sealed_at}, key {last.key_id}); head {head}, "
                   f"{head - last.position} position(s) after it; signing key {key.key_id} ({key.source})")


@audit_app.command("verify")
def verify(
    from_position: Annotated[Optional[int], typer.Option("--from", help="first position to verify (whole segments)")] = None,
    to_position: Annotated[Optional[int], typer.Option("--to", help="last position to verify (whole segments)")] = None,
    digest: Annotated[Optional[Path], typer.Option(help="check the log against this published digest (JSON)")] = None,
    public_key: Annotated[Optional[list[Path]], typer.Option("--public-key", help="trusted public key (PEM); with --digest the only key trusted; repeatable")] = None,
    deep: Annotated[bool, typer.Option("--deep", help="also recompute every segment's Merkle root from the events")] = False,
) -> None:
    """Recompute the hash chain from the stored events and hold it against the signed checkpoints
    (or a digest); name the first position that differs. Exit 0 intact, 1 not intact."""
    keys = [str(p) for p in public_key or []]
    if digest is not None and not keys:
        _fail("--digest needs --public-key (the published key the digest must be signed with)", 2)
    services = _services()
    try:
        seal = _seal(services)
        if digest is not None:
            try:
                document = json.loads(digest.read_text())
            except (OSError, ValueError) as error:
                _fail(f"cannot read the digest {digest}: {error}", 2)
            try:
                result = seal.verifier(keys, only_given=True).verify_digest(document)
            except (KeyError, TypeError, ValueError) as error:
                _fail(f"{digest} is not a seal digest: {error!r}", 2)
        else:
            result = seal.verifier(keys).verify(from_position, to_position, deep=deep)
    except SealKeyError as error:
        _fail(str(error), 2)
        return
    finally:
        services.close()
    for note in result.notes:
        typer.echo(note)
    typer.echo(result.summary())
    if not result.intact:
        raise typer.Exit(1)


@audit_app.command("digest")
def digest(
    at: Annotated[Optional[int], typer.Option(help="the last checkpoint at or before this position (default: the newest)")] = None,
    out: Annotated[Optional[Path], typer.Option(help="write the JSON here instead of standard output")] = None,
) -> None:
    """Export a signed digest (position, chain hash, Merkle root, time, key id, signature) as JSON."""
    services = _services()
    try:
        document = _seal(services).digest(at)
    finally:
        services.close()
    if document is None:
        _fail("nothing is sealed yet (run `ledger audit seal run --once`)")
    text = json.dumps(document, indent=2) + "\n"
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"digest at position {document['position']} written to {out}", err=True)  # type: ignore[index]


@audit_app.command("public-key")
def public_key() -> None:
    """Print the seal's public key (PEM) for publication."""
    services = _services()
    try:
        key = _seal(services).key()
    except SealKeyError as error:
        _fail(str(error), 2)
        return
    finally:
        services.close()
    typer.echo(key.public_pem(), nl=False)
    typer.echo(f"key id {key.key_id}", err=True)


@audit_app.command("verify-proof")
def verify_proof_command(
    proof: Annotated[Path, typer.Argument(help="an enterprise proof (JSON from /api/v1/audit/enterprises/{code}/proof)")],
    public_key: Annotated[Path, typer.Option("--public-key", help="the seal's published public key (PEM)")],
) -> None:
    """Check an enterprise proof with the public key alone (no database). Exit 0 valid, 1 not."""
    try:
        document = json.loads(proof.read_text())
        key = public_key.read_bytes()
    except (OSError, ValueError) as error:
        _fail(f"cannot read the input: {error}", 2)
        return
    try:
        problems = verify_proof(document, key)
    except ValueError as error:
        _fail(f"the public key is not usable: {error}", 2)
        return
    events = len(document.get("events", []))
    if problems:
        for problem in problems:
            typer.echo(problem)
        typer.echo(f"NOT VALID: {len(problems)} problem(s) in {events} event(s)")
        raise typer.Exit(1)
    typer.echo(f"valid: {events} event(s) of {document.get('credit_code')} are in the sealed log up to position "
               f"{document.get('sealed_to')}, under {len(document.get('checkpoints', []))} signed checkpoint(s)")
