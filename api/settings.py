"""Every knob, read once from LEDGER_* environment variables (or a .env file). Nothing else reads
os.environ; tests construct Settings directly."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///var/ledger.db", description="SQLAlchemy URL; postgresql+psycopg2://... in production")
    host: str = "127.0.0.1"
    port: int = 8000
    jwt_secret: str | None = Field(None, description="token signing key; generated and stored in the database if unset")
    token_lifetime_minutes: int = 60
    client_token_lifetime_minutes: int = Field(60, description="lifetime of client-credentials tokens")
    subscription_check_seconds: float = Field(2.0, description="how long a subscription's liveness is cached (revocation delay)")
    user_check_seconds: float = Field(2.0, description="how long a user's active state is cached (deactivation delay)")
    max_body_bytes: int = Field(2 * 1024 * 1024, description="largest request body accepted (413 above it, before parsing)")
    call_log_enabled: bool = Field(True, description="log every call to an enterprise interface and the token endpoint")
    rate_limit_per_second: float = Field(200.0, description="calls per second per subscription and process (0: off)")
    rate_limit_burst: float = Field(400.0, description="burst size of the per-subscription rate limit")
    key_rotation_overlap_hours: float = Field(24.0, description="how long an old client secret stays valid after rotation")
    risk_band_check: bool = Field(True, description="refuse a stated inherent level that contradicts its score band")
    risk_bands: dict[str, list[float]] | None = Field(
        None, description='per-method thresholds [major, significant, general], JSON, e.g. {"lec": [320, 160, 70]}'
    )
    group_commit_max_batch: int = 256
    group_commit_linger_ms: float = Field(0.0, description="how long the writer waits for more commands to share a transaction")
    workers: int | None = Field(None, description="HTTP worker processes for `ledger serve`; default: one per CPU on PostgreSQL, always one on SQLite")
    nats_url: str | None = Field(None, description="NATS server with JetStream; set to relay every event (unset: no relay)")
    nats_stream: str = Field("LEDGER", description="JetStream stream the relay publishes to")
    nats_subject_prefix: str = Field("ledger", description="subjects are <prefix>.<aggregate>.<event>")
    log_level: str = "INFO"
    threadpool_size: int = Field(8, description="threads running command handlers per process")
    gil_switch_interval_ms: float = Field(0.5, description="Python GIL switch interval for `serve` (default Python: 5 ms)")

    projections: Literal["background", "off"] = Field(
        "background", description="background: `ledger serve` keeps the read models current (one process of a "
        "deployment leads); off: run `ledger projections run` separately")
    projection_poll_seconds: float = Field(0.5, description="how often the projection worker looks for new events")
    projection_batch_size: int = Field(5000, description="events applied per read-model transaction (larger batches catch up faster: 1,000 -> 5,000 was +35 % on a 1M-event backlog)")
    graphiql: bool = Field(False, description="serve the GraphiQL IDE at /graphql (development only)")
    graphql_max_depth: int = Field(8, description="deepest GraphQL selection accepted")
    graphql_max_complexity: int = Field(100_000, description="GraphQL cost limit (list fields count their page size)")

    reminders: Literal["background", "off"] = Field(
        "background", description="background: `ledger serve` runs the reminder scan and the dispatcher (one "
        "process of a deployment at a time); off: run `ledger reminders scan` yourself")
    reminder_scan_cron: str = Field("0 * * * *", description="when the reminder scan runs (crontab, China time; default hourly)")
    reminder_scan_concurrency: int = Field(8, description="enterprises whose reminders a scan writes side by side (group commit batches them)")
    dispatch_seconds: float = Field(30.0, description="how often due SMS and in-app messages are sent")
    sms_gateway: str = Field("console", description="console | file:PATH | http(s)://gateway URL")
    sms_template_id: str = Field("", description="the SMS platform's template id (HTTP gateway)")
    sms_signature: str = Field("", description="the SMS signature (签名) registered with the platform (HTTP gateway)")
    sms_timeout_seconds: float = Field(5.0, description="HTTP gateway timeout per attempt")
    sms_retries: int = Field(3, description="HTTP gateway retries per round (exponential backoff)")

    aggregate_cache_size: int = Field(10000, description="aggregates kept in memory; each read still fetches newer events")

    frontend_url: str | None = Field(None, description="the ministry front-end database (前置机): postgresql+psycopg2://... "
                                     "or mysql+pymysql://user:password@host:3306/db (docs/ministry-exchange.md)")
    frontend_root: str = Field("var/frontend", description="folder holding the attachment folders task_attr_up, pro_attr_up, tsjb_attr_up")
    frontend_ftp: str | None = Field(None, description="the front-end machine's FTP service, ftp://user:password@host:port/dir; checked when set")
    frontend_min_connections: int = Field(300, description="max_connections the front-end database must allow (seed 2.3.1.3: 300)")
    exchange: Literal["background", "off"] = Field(
        "background", description="background: when LEDGER_FRONTEND_URL is set, `ledger serve` runs the ministry exchange "
        "on each table's frequency (one process of a deployment at a time); off: run `ledger exchange run` yourself")
    exchange_hourly_cron: str = Field("10 * * * *", description="when the hourly tables are exchanged (crontab, China time)")
    exchange_daily_cron: str = Field("30 1 * * *", description="when the daily tables are exchanged (crontab, China time)")

    seal: Literal["background", "off"] = Field(
        "background", description="background: `ledger serve` keeps the hash-chain seal current (one process of a "
        "deployment leads); off: run `ledger audit seal run` separately (docs/audit-seal.md)")
    seal_checkpoint_events: int = Field(1000, description="events per signed seal checkpoint (Merkle segment)")
    seal_sign_seconds: float = Field(3600.0, description="a checkpoint is cut and signed at least this often while events wait")
    seal_poll_seconds: float = Field(1.0, description="how often the seal follower looks for new events")
    seal_key: str | None = Field(None, description="Ed25519 private key of the seal: PEM, or the 32-byte seed in hex or base64")
    seal_key_file: str | None = Field(None, description="file holding the seal's private key (when LEDGER_SEAL_KEY is unset); "
                                      "neither: a key is generated and kept in the database")
    seal_trusted_keys: str | None = Field(None, description="comma-separated PEM files of retired seal public keys that verify still trusts")

    def eventsourcing_env(self) -> dict[str, str]:
        return {
            "PERSISTENCE_MODULE": "adapters.persistence.lean_recorder",
            "SQLALCHEMY_URL": self.database_url,
            # A cached aggregate is always fast-forwarded with the events stored after it (one indexed
            # query), so several processes never act on stale state; a deep copy is handed out so a
            # refused or failed command cannot corrupt the cache.
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size),
            "AGGREGATE_CACHE_FASTFORWARD": "y",
            "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
            # request threads + the group-commit writer + GETs on the event loop's own pool threads
            "SQLALCHEMY_POOL_SIZE": str(self.threadpool_size + 8),
        }

    def ensure_sqlite_directory(self) -> None:
        """`sqlite:///var/ledger.db` works on a fresh clone: create `var/` if it is missing."""
        prefix = "sqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            Path(self.database_url[len(prefix):]).parent.mkdir(parents=True, exist_ok=True)

    @property
    def effective_workers(self) -> int:
        """Python runs one thread at a time per process, so PostgreSQL deployments use a process per CPU."""
        if self.is_sqlite:
            return 1
        return self.workers or os.cpu_count() or 1

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
