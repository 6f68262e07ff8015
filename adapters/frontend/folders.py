"""The attachment folders of the front-end machine (seed 2.3.1.3) under LEDGER_FRONTEND_ROOT."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from pathlib import Path

from adapters.frontend.database import CheckRow


def ensure_folders(root: Path, names: Iterable[str]) -> list[str]:
    """Create the missing folders; the names of those created (none on a second run)."""
    created = []
    for name in names:
        folder = root / name
        if not folder.is_dir():
            folder.mkdir(parents=True, exist_ok=True)
            created.append(name)
    return created


def check_folders(root: Path, names: Iterable[str]) -> list[CheckRow]:
    """Each folder exists and takes a file (a probe written and removed: permission bits alone do
    not tell, e.g. for root or on a read-only mount)."""
    rows = []
    for name in names:
        folder = root / name
        item = f"folder {name}"
        if not folder.is_dir():
            what = "is not a folder" if folder.exists() else "does not exist"
            rows.append(CheckRow(item, "fail", f"{folder} {what}: run `ledger frontend init`, or fix LEDGER_FRONTEND_ROOT"))
            continue
        probe = folder / f".ledger-check-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ledger frontend check\n")
            probe.unlink()
            rows.append(CheckRow(item, "ok", f"{folder} is writable"))
        except OSError as error:
            rows.append(CheckRow(item, "fail", f"cannot write in {folder} ({error.strerror or error}): give the "
                                 "ledger's user write permission on it"))
    return rows
