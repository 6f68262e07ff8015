"""Secrets generated on first start and shared by every process through the database."""

from __future__ import annotations

import secrets as random

from sqlalchemy import insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from adapters.persistence.tables import secrets


def get_or_create_secret(engine: Engine, name: str, size: int = 32) -> bytes:
    """Return the stored secret, creating it once; concurrent first starts agree on one value."""
    with engine.begin() as conn:
        found = conn.execute(select(secrets.c.value).where(secrets.c.name == name)).scalar_one_or_none()
    if found is not None:
        return bytes(found)
    try:
        with engine.begin() as conn:
            conn.execute(insert(secrets).values(name=name, value=random.token_bytes(size)))
    except IntegrityError:
        pass  # another process created it first
    with engine.begin() as conn:
        return bytes(conn.execute(select(secrets.c.value).where(secrets.c.name == name)).scalar_one())
