"""The FTP check of seed 2.3.1.2: the ministry's side reaches the front-end machine's FTP service;
we test that it answers, takes our login and lets us write (a probe file stored and deleted).

LEDGER_FRONTEND_FTP = ftp://user:password@host:port/dir (user, password, port and dir optional;
percent-encode special characters in the password)."""

from __future__ import annotations

import ftplib
import io
import uuid
from urllib.parse import unquote, urlsplit

from adapters.frontend.database import CheckRow


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    user = f"{unquote(parts.username)}@" if parts.username else ""
    return f"{parts.scheme}://{user}{parts.hostname}{f':{parts.port}' if parts.port else ''}{parts.path}"


def check_ftp(url: str, timeout: float = 5.0) -> list[CheckRow]:
    parts = urlsplit(url)
    if parts.scheme != "ftp" or not parts.hostname:
        return [CheckRow("FTP reachable", "fail", f"{shown(url)} is not an ftp://user:password@host:port/dir URL")]
    host, port = parts.hostname, parts.port or 21
    user = unquote(parts.username) if parts.username else "anonymous"
    password = unquote(parts.password) if parts.password else ""
    folder = unquote(parts.path or "/")
    ftp = ftplib.FTP(timeout=timeout)
    rows: list[CheckRow] = []
    try:
        try:
            ftp.connect(host, port)
            rows.append(CheckRow("FTP reachable", "ok", f"{host}:{port} answers"))
        except (OSError, ftplib.Error) as error:
            return [CheckRow("FTP reachable", "fail", f"cannot connect to {host}:{port} ({error}): is the FTP "
                             "service running and the port open?"),
                    CheckRow("FTP login", "skip", "not checked"), CheckRow("FTP writable", "skip", "not checked")]
        try:
            ftp.login(user, password)
            rows.append(CheckRow("FTP login", "ok", f"logged in as {user!r}"))
        except ftplib.Error as error:
            return rows + [CheckRow("FTP login", "fail", f"login refused for {user!r} ({error}): check the user and "
                                    "password in LEDGER_FRONTEND_FTP"), CheckRow("FTP writable", "skip", "not checked")]
        probe = f"ledger-check-{uuid.uuid4().hex}.txt"
        try:
            ftp.cwd(folder)
            ftp.storbinary(f"STOR {probe}", io.BytesIO(b"ledger frontend check\n"))
            ftp.delete(probe)
            rows.append(CheckRow("FTP writable", "ok", f"stored and deleted a file in {folder}"))
        except (OSError, ftplib.Error) as error:
            rows.append(CheckRow("FTP writable", "fail", f"cannot write in {folder} as {user!r} ({error}): grant "
                                 "write permission there or fix the folder in LEDGER_FRONTEND_FTP"))
        return rows
    finally:
        try:
            ftp.quit()
        except (OSError, ftplib.Error, AttributeError):
            ftp.close()
