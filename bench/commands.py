"""Command benchmark: N authenticated REST commands against a running server on PostgreSQL.

The mix per cycle is the enterprise's daily work: create risk, change its level, register a
hazard, report its rectification, accept it (5 commands). Each client is one enterprise system
with its own token, sending commands back to back. Prints one JSON line per concurrency level
(the anchors.sh product contract) and a human summary on stderr.

    python -m bench.commands                          # own server on a fresh PostgreSQL database
    python -m bench.commands --clients 1,16 --commands 3000
    ../shared/perf/anchors.sh --product '.venv/bin/python -m bench.commands' --only pg_lock_notify_8c,es_sqlalchemy_save_8t
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import aiohttp
import httpx

from tests.support.builders import a_credit_code, enterprise_body, hazard_body, risk_body
from tests.support.postgres import fresh_database

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench password 1"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def server(database_url: str, port: int, extra_env: dict[str, str] | None = None):  # noqa: ANN201
    env = os.environ | {"LEDGER_DATABASE_URL": database_url, "LEDGER_PORT": str(port), "LEDGER_LOG_LEVEL": "WARNING"}
    env |= extra_env or {}
    ledger = [sys.executable, "-m", "api.cli"]
    subprocess.run([*ledger, "users", "add", "bench-admin", "--role", "admin"], input=PASSWORD + "\n",
                   text=True, env=env, cwd=ROOT, check=True, capture_output=True)
    command = os.environ.get("BENCH_SERVER_COMMAND", "").split() or [*ledger, "serve"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stderr=None if os.environ.get("BENCH_SERVER_COMMAND") else subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start")
        yield url, env
    finally:
        process.terminate()
        process.wait(timeout=30)


def token(client: httpx.Client, username: str) -> dict[str, str]:
    response = client.post("/api/v1/sessions", json={"username": username, "password": PASSWORD})
    response.raise_for_status()
    return {"Authorization": "Bearer " + response.json()["access_token"]}


INTERFACES = ["risk.add", "risk.maintain", "hazard.add", "hazard.maintain"]


def prepare_enterprises(url: str, env: dict[str, str], count: int) -> list[dict[str, str]]:
    """Register `count` enterprises the way a real one is connected: an enterprise user applies for a
    subscription in the portal, the admin approves it, the enterprise reads its secret once and
    exchanges it for a client-credentials token. Returns the enterprise systems' auth headers."""
    headers = []
    with httpx.Client(base_url=url, timeout=30) as client:
        admin = token(client, "bench-admin")
        for i in range(count):
            body = enterprise_body(a_credit_code(), name=f"基准测试企业{i}")
            client.post("/api/v1/enterprises", json=body, headers=admin).raise_for_status()
            username = f"bench-ent-{uuid.uuid4().hex[:8]}"
            subprocess.run([sys.executable, "-m", "api.cli", "users", "add", username, "--role", "enterprise",
                            "--enterprise", body["credit_code"]], input=PASSWORD + "\n", text=True, env=env,
                           cwd=ROOT, check=True, capture_output=True)
            portal = token(client, username)
            application = {"interfaces": INTERFACES, "purpose": "基准测试", "contact": {"name": "张伟", "mobile": "13800138000"}}
            subscription_id = client.post("/api/v1/subscriptions", json=application, headers=portal).json()["subscription_id"]
            client.post(f"/api/v1/subscriptions/{subscription_id}/approval", headers=admin).raise_for_status()
            secret = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=portal).json()["client_secret"]
            granted = client.post("/api/v1/oauth/token", data={
                "grant_type": "client_credentials", "client_id": subscription_id, "client_secret": secret})
            granted.raise_for_status()
            headers.append({"Authorization": "Bearer " + granted.json()["access_token"]})
    return headers


async def client_loop(http: aiohttp.ClientSession, auth: dict[str, str], quota: int, latencies: list[float], errors: list[str]) -> None:
    done = 0
    while done < quota:
        state: dict[str, str] = {}
        steps = [
            ("POST", "/api/v1/risks", lambda: risk_body(f"B-{uuid.uuid4().hex[:10]}"), "risk_id"),
            ("POST", "/api/v1/risks/{risk_id}/level-changes",
             lambda: {"level": "significant", "reason": "bench", "changed_at": "2026-11-20T10:00:00+08:00"}, None),
            ("POST", "/api/v1/hazards", lambda: hazard_body(f"BH-{uuid.uuid4().hex[:10]}"), "hazard_id"),
            ("POST", "/api/v1/hazards/{hazard_id}/rectification",
             lambda: {"measures": "更换报警器", "completed_at": "2026-11-15T10:00:00+08:00", "responsible_person": "王磊"}, None),
            ("POST", "/api/v1/hazards/{hazard_id}/acceptance",
             lambda: {"passed": True, "accepted_by": "赵敏", "accepted_at": "2026-11-16T10:00:00+08:00", "opinion": "合格"}, None),
        ]
        for method, path, body, keep in steps:
            if done >= quota:
                return
            started = time.perf_counter()
            async with http.request(method, path.format(**state), json=body(), headers=auth) as response:
                payload = await response.read()
            latencies.append(time.perf_counter() - started)
            done += 1
            if response.status >= 300:
                errors.append(f"{response.status} {payload[:200]!r}")
                break
            if keep:
                state[keep] = json.loads(payload)[keep]


async def drive(url: str, auths: list[dict[str, str]], clients: int, commands: int) -> dict[str, float]:
    latencies: list[float] = []
    errors: list[str] = []
    # aiohttp, not httpx: httpx's client capped this machine at ~450 requests/s by itself.
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(url, connector=connector, timeout=aiohttp.ClientTimeout(total=60)) as http:
        quota = commands // clients
        started = time.perf_counter()
        await asyncio.gather(*(client_loop(http, auths[i], quota, latencies, errors) for i in range(clients)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "value": round(len(latencies) / elapsed, 1), "commands": len(latencies), "errors": len(errors),
        "first_error": errors[0] if errors else None, "secs": round(elapsed, 2),
        "p50_ms": round(1000 * statistics.median(latencies), 2),
        "p99_ms": round(1000 * latencies[int(0.99 * (len(latencies) - 1))], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", default="1,16", help="comma-separated concurrency levels")
    parser.add_argument("--commands", type=int, default=0, help="commands per level (default: ~PERF_SECONDS worth)")
    parser.add_argument("--port", type=int, default=18765)
    parser.add_argument("--name", default="rest_commands")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="server worker processes (LEDGER_WORKERS)")
    parser.add_argument("--call-log", choices=["on", "off", "both"], default="on",
                        help="call logging in the server; 'both' measures the levels without, then with it")
    args = parser.parse_args()
    levels = [int(c) for c in args.clients.split(",")]
    gate = json.loads(os.environ.get("PERF_GATE", "{}") or "{}")
    for call_log in (["off", "on"] if args.call_log == "both" else [args.call_log]):
        run_levels(args, levels, gate, call_log)


def run_levels(args: argparse.Namespace, levels: list[int], gate: dict, call_log: str) -> None:
    extra = {"LEDGER_WORKERS": str(args.workers), "LEDGER_CALL_LOG_ENABLED": "true" if call_log == "on" else "false"}
    name = args.name if args.call_log != "both" else f"{args.name}_calllog_{call_log}"
    with fresh_database("ledger_bench") as database_url, server(database_url, args.port, extra) as (url, env):
        auths = prepare_enterprises(url, env, max(levels))
        for clients in levels:
            commands = args.commands or (600 if clients == 1 else 5000)
            asyncio.run(drive(url, auths, clients, min(200, commands)))  # warm-up
            before = httpx.get(url + "/healthz").json()["group_commit"]
            result = drive_result = asyncio.run(drive(url, auths, clients, commands))
            after = httpx.get(url + "/healthz").json()["group_commit"]
            txns = after["transactions"] - before["transactions"]
            if args.workers == 1:  # with several workers /healthz answers from any one of them
                result["commands_per_transaction"] = round((after["commands"] - before["commands"]) / max(1, txns), 2)
                result["transaction_ms"] = round(1000 * (after["seconds"] - before["seconds"]) / max(1, txns), 2)
            line = {"bench": f"{name}_{clients}c", **result, "unit": "commands/s", "clients": clients, "call_log": call_log,
                    "workers": args.workers, "anchor_ref": "pg_lock_notify_8c", **gate}
            print(json.dumps(line), flush=True)
            log(f"call log {call_log}, {clients:>3} clients: {drive_result['value']:.0f} commands/s, p50 {result['p50_ms']} ms, "
                f"p99 {result['p99_ms']} ms, errors {result['errors']}, "
                f"{result.get('commands_per_transaction', 'n/a')} commands/txn of {result.get('transaction_ms', 'n/a')} ms")


if __name__ == "__main__":
    main()
