"""Configuration: YAML file -> pydantic models, env overrides, and secrets from the environment."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from gateway.errors import ConfigError


class _Yaml12Loader(yaml.SafeLoader):
    """YAML with 1.2 booleans: `off`, `no`, `on`, `yes` stay strings (hubspot.mode: off)."""


_Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def parse_yaml(text: str) -> Any:
    return yaml.load(text, Loader=_Yaml12Loader)


ENV_PREFIX = "OPENCX_GATEWAY__"
CONFIG_ENV = "OPENCX_GATEWAY_CONFIG"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _hostport(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ValueError(f"expected HOST:PORT, got {value!r}")
    return value


def split_hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]"), int(port)


class SupportAddress(Section):
    address: str = Field(description="The support address customers write to")
    forward_to: str | None = Field(
        None,
        description="Gateway address the support address forwards to; "
        "default <local>+<domain>@<smtp.hostname>",
    )
    name: str = Field("Support", description="Display name used on replies from this address")

    @field_validator("address", "forward_to")
    @classmethod
    def _lower(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if "@" not in v or v.count("@") != 1:
            raise ValueError(f"not an email address: {v!r}")
        return v.strip().lower()


class SmtpConfig(Section):
    listen: str = Field("127.0.0.1:2525", description="HOST:PORT the SMTP receiver binds")
    hostname: str = Field("gateway.localhost", description="Name in the banner and Message-IDs")
    support_addresses: list[SupportAddress] = Field(
        default_factory=lambda: [SupportAddress(address="support@example.com")],
        description="Addresses whose mail the AI answers",
    )
    verification_address: str | None = Field(
        None, description="Address test challenges come from; default verify@<hostname>"
    )
    max_message_bytes: int = Field(25 * 2**20, description="Larger DATA is refused with 552")
    max_recipients: int = Field(50, description="RCPT commands per transaction")
    max_sessions: int = Field(200, description="Concurrent SMTP connections; more get 421")
    max_sessions_per_client: int = Field(
        20, ge=1, description="Concurrent SMTP connections from one client IP; more get 421")
    idle_timeout: float = Field(
        30.0, gt=0, description="Seconds a connection may wait with no mail under way")
    command_timeout: float = Field(
        300.0, gt=0, description="Seconds between commands once MAIL FROM started a mail")
    line_length_limit: int = Field(65536, description="Longest accepted line in DATA, octets")
    command_limit: int = Field(
        50, ge=1, description="NOOP/RSET/HELO/HELP/VRFY/refused RCPT per connection between "
        "two accepted mails")
    max_messages_per_connection: int = Field(
        1000, ge=1, description="Mails (MAIL FROM) per connection; then 421, reconnect")
    tls_cert_file: Path | None = Field(
        None, description="PEM certificate (chain) to offer STARTTLS; none: plain SMTP only"
    )
    tls_key_file: Path | None = Field(None, description="PEM private key for tls_cert_file")

    _listen = field_validator("listen")(lambda cls, v: _hostport(v))

    @model_validator(mode="after")
    def _tls_pair(self) -> SmtpConfig:
        if (self.tls_cert_file is None) != (self.tls_key_file is None):
            raise ValueError("tls_cert_file and tls_key_file go together")
        return self

    def verify_address(self) -> str:
        return (self.verification_address or f"verify@{self.hostname}").lower()

    def forward_address(self, support: SupportAddress) -> str:
        if support.forward_to:
            return support.forward_to
        local, domain = support.address.split("@")
        return f"{local}+{domain}@{self.hostname}".lower()

    def accepted_recipients(self) -> dict[str, str]:
        """Map every address accepted at RCPT to the support address it stands for
        (postmaster@ each of our domains included: RFC 5321 §4.5.1)."""
        out = {self.verify_address(): self.verify_address()}
        for s in self.support_addresses:
            out[s.address] = s.address
            out[self.forward_address(s)] = s.address
        first = self.support_addresses[0].address if self.support_addresses else ""
        for address in self.postmaster_addresses():
            domain = address.partition("@")[2]
            out.setdefault(address, next(
                (s.address for s in self.support_addresses if s.address.endswith("@" + domain)),
                first))
        return out

    def postmaster_addresses(self) -> set[str]:
        """postmaster, and postmaster@ every domain we accept mail for: mail for the operator."""
        domains = {self.hostname.lower(), self.verify_address().partition("@")[2]}
        for s in self.support_addresses:
            domains.add(s.address.partition("@")[2])
            domains.add(self.forward_address(s).partition("@")[2])
        return {"postmaster"} | {f"postmaster@{d}" for d in domains if d}


class HttpConfig(Section):
    listen: str = Field("127.0.0.1:8025", description="HOST:PORT of the web UI, API, webhooks")
    public_url: str | None = Field(
        None, description="URL HubSpot and browsers use to reach us; default http://<listen>"
    )
    max_body_bytes: int = Field(1 * 2**20, description="Larger request bodies get 413")
    secure_cookies: bool = Field(False, description="Mark the login cookie Secure (behind HTTPS)")

    _listen = field_validator("listen")(lambda cls, v: _hostport(v))


class StorageConfig(Section):
    path: Path = Field(Path("var/gateway.db"), description="SQLite database file")
    url: str | None = Field(
        None, description="postgresql://user@host/db to share one database between several "
        "instances (password from PGPASSWORD or OPENCX_GATEWAY_DATABASE_URL); default SQLite")
    busy_timeout_ms: int = Field(5000, description="How long a connection waits for a lock")
    max_batch: int = Field(256, description="Most writes committed in one group commit")
    heartbeat_seconds: float = Field(
        5.0, description="How often an instance records that it is alive")
    dead_after_seconds: float = Field(
        30.0, description="An instance silent this long is dead: others take its jobs")

    @field_validator("url")
    @classmethod
    def _pg_url(cls, v: str | None) -> str | None:
        if v and not v.startswith(("postgresql://", "postgres://")):
            raise ValueError("must start with postgresql://")
        if v and re.search(r"://[^/@]*:[^/@]*@", v):
            raise ValueError("no password in the config file: use PGPASSWORD or "
                             "OPENCX_GATEWAY_DATABASE_URL")
        return v or None


class QueuesConfig(Section):
    poll_interval: float = Field(2.0, description="Seconds a worker sleeps when woken by nothing")
    lease_seconds: float = Field(300.0, description="A claimed job not finished by then is retried")
    max_attempts: int = Field(10, description="Attempts before a job is buried (dead)")
    backoff_base: float = Field(5.0, description="First retry delay, seconds; doubles each time")
    backoff_cap: float = Field(3600.0, description="Longest retry delay, seconds")
    concurrency: int = Field(4, description="Jobs each worker runs at once")
    handoff: bool = Field(
        True, description="Claim process/agent/outbox jobs in the commit that creates them"
    )


class RelayConfig(Section):
    host: str = Field("127.0.0.1", description="Upstream SMTP relay host")
    port: int = Field(25, description="Upstream SMTP relay port")
    tls: Literal["none", "starttls", "implicit"] = Field("none", description="TLS mode")
    username: str | None = Field(None, description="AUTH user; password from the environment")
    timeout: float = Field(30.0, description="Seconds per SMTP command")
    ca_file: Path | None = Field(
        None, description="CA bundle (PEM) to verify the relay's certificate; default system CAs"
    )
    keepalive_seconds: float = Field(
        5.0, ge=0, description="Keep a connection open this long for the next mail; 0: one per mail"
    )


class OutboundConfig(Section):
    mode: Literal["maildir", "smtp"] = Field("maildir", description="Where outgoing mail goes")
    maildir: Path = Field(Path("var/maildir"), description="Maildir for mode: maildir")
    relay: RelayConfig = Field(default_factory=RelayConfig, description="Relay for mode: smtp")
    retry_horizon_hours: float = Field(48.0, description="Give up on a temp-failing mail after")
    uncertain: Literal["handoff", "resend"] = Field(
        "handoff", description="A crash while the relay took a reply: hand the session to a"
        " human (no second copy) or resend it (a possible duplicate, same Message-ID)"
    )
    render_processes: int = Field(
        0, description="Ignored, kept so older config files load: replies render in a thread"
    )


class OpenAIConfig(Section):
    base_url: str = Field("http://127.0.0.1:11434/v1", description="OpenAI-compatible /v1 URL")
    model: str = Field("llama3.1", description="Model name sent with each request")
    timeout: float = Field(60.0, description="Seconds per completion request")
    max_retries: int = Field(2, description="Retries on timeouts and 5xx before escalating")
    temperature: float = Field(0.2, description="Sampling temperature")
    backoff_seconds: float = Field(0.5, description="First retry delay; doubles per retry")
    tools: bool = Field(
        True, description="Offer the escalate_to_human tool; false: ask for JSON answers only"
    )
    passages: int = Field(4, description="KB sections put into the prompt")


class ReplyCapConfig(Section):
    max_replies: int = Field(10, description="AI replies to one customer per window")
    window_minutes: int = Field(180, description="Window of the reply cap")


class AgentConfig(Section):
    kind: Literal["builtin", "openai"] = Field("builtin", description="Which agent answers")
    knowledge_base: Path | None = Field(
        None, description="Folder of Markdown files; default the shipped sample"
    )
    confidence_threshold: float = Field(0.25, description="Below this the agent escalates")
    semantic: bool = Field(
        True, description="Also match by sentence vectors (WordLlama, shipped in its wheel)"
    )
    answer_probability: float = Field(
        0.8, gt=0.0, le=1.0,
        description="Answer a mail the rules escalate when the calibrated probability that"
        " the best section answers it reaches this (1.0 = off; needs semantic)",
    )
    prohibited_topics: list[str] = Field(
        default_factory=lambda: [
            "lawyer", "lawsuit", "legal action", "sue", "chargeback", "dispute the charge",
            "gdpr request", "data breach",
        ],
        description="Phrases that always go to a human (prohibited_topic)",
    )
    prohibited_categories: list[str] = Field(
        default_factory=lambda: [
            "legal", "data_protection", "payment_dispute", "account_compromise",
            "security_report", "self_harm_safety",
        ],
        description="Built-in detectors (9 languages) whose hits go to a human (prohibited_topic)",
    )
    negative_sentiment_threshold: float = Field(
        -0.6, description="Compound sentiment at or below this escalates"
    )
    repeated_contact_threshold: int = Field(
        4, description="Customer mails in a session without resolution before escalating"
    )
    debounce_seconds: float = Field(
        20.0, description="Wait this long after a customer mail so quick follow-ups get one answer"
    )
    reply_cap: ReplyCapConfig = Field(default_factory=ReplyCapConfig, description="Loop guard")
    openai: OpenAIConfig = Field(default_factory=OpenAIConfig, description="For kind: openai")


class HubSpotEmulatorConfig(Section):
    listen: str = Field("127.0.0.1:8026", description="Where the embedded emulator listens")
    search_lag_seconds: float = Field(2.0, description="Emulated search-index lag after writes")
    persist: bool = Field(
        True, description="Keep the emulator's contacts, tickets and threads across restarts"
    )
    state_file: Path | None = Field(
        None, description="Where (JSON); default hubspot-emulator.json beside the database"
    )
    portal: Literal["classic", "helpdesk"] = Field(
        "classic", description="classic: pipeline 0; helpdesk: custom pipeline ids, no 0")
    helpdesk_auto_ticket: bool = Field(
        False, description="Emulate a help-desk inbox that makes a ticket for each new thread")
    inboxes: list[str] = Field(
        default_factory=list, description="Extra inbox names (one per support address, say)")

    _listen = field_validator("listen")(lambda cls, v: _hostport(v))


class HubSpotAddress(Section):
    address: str = Field(description="A support address (one of smtp.support_addresses)")
    inbox_id: str | None = Field(None, description="Inbox for its channel account")
    pipeline: str | None = Field(None, description="Ticket pipeline id for its handoffs")
    stage: str | None = Field(None, description="Ticket stage id for its new tickets")
    signature_domain: str | None = Field(
        None, description="Domain whose signature rep replies from it get; default its own")

    _lower = field_validator("address")(lambda cls, v: v.strip().lower())

    @model_validator(mode="after")
    def _route_pair(self) -> HubSpotAddress:
        if (self.pipeline is None) != (self.stage is None):
            raise ValueError(f"{self.address}: pipeline and stage go together")
        return self


class HubSpotConfig(Section):
    mode: Literal["emulator", "live", "off"] = Field(
        "emulator", description="emulator: embedded fake; live: api.hubapi.com; off: no handoff"
    )
    base_url: str = Field("https://api.hubapi.com", description="API base URL for mode: live")
    app_id: int | None = Field(None, description="Developer app id (custom channel setup)")
    portal_id: int | None = Field(
        None, description="Portal (account) id for links; optional: detected at setup")
    pipeline: str = Field("0", description="Ticket pipeline id")
    stage: str = Field("1", description="Ticket stage id for new tickets")
    priority: Literal["LOW", "MEDIUM", "HIGH"] = Field("HIGH", description="New ticket priority")
    tag_property: str = Field("opencx_handedoff", description="Ticket property set to true")
    custom_channel: bool = Field(True, description="Publish threads via Custom Channels")
    channel_name: str = Field("OpenCX AI Email", description="Custom channel name")
    inbox_id: str | None = Field(None, description="Inbox for the channel account; default first")
    timeout: float = Field(15.0, description="Seconds per HubSpot call")
    auth: Literal["auto", "oauth", "token"] = Field(
        "auto", description="oauth: the app's OAuth install (client id/secret in the "
        "environment); token: OPENCX_GATEWAY_HUBSPOT_TOKEN; auto: oauth when a client id is "
        "set and no token")
    token_kind: Literal["auto", "static", "private_app"] = Field(
        "auto", description="What OPENCX_GATEWAY_HUBSPOT_TOKEN is; auto: pat-… is a legacy "
        "private app (no inbox threads), anything else an app's static token")
    oauth_authorize_url: str = Field("https://app.hubspot.com/oauth/authorize",
                                     description="HubSpot's install page (auth: oauth)")
    oauth_token_path: str = Field("/oauth/v3/token",
                                  description="Token endpoint under base_url (auth: oauth)")
    adopt_helpdesk_ticket: bool = Field(
        False, description="Help-desk portals: adopt the ticket HubSpot makes for a new thread "
        "instead of creating a second one")
    channel_description: str = Field(
        "AI email support by opencx-gateway", description="Custom channel description")
    channel_logo_url: str | None = Field(
        None, description="Custom channel logo URL; default <public_url>/static/favicon.svg")
    max_attachment_bytes: int = Field(
        10 * 2**20, description="Largest attachment carried either way (customer <-> rep)")
    addresses: list[HubSpotAddress] = Field(
        default_factory=list, description="Per support address: inbox, pipeline, signature")
    emulator: HubSpotEmulatorConfig = Field(
        default_factory=HubSpotEmulatorConfig, description="For mode: emulator"
    )

    def for_address(self, address: str) -> HubSpotAddress | None:
        """The hubspot.addresses entry of a support address, if one is configured."""
        wanted = address.lower()
        return next((a for a in self.addresses if a.address == wanted), None)


class Signature(Section):
    domain: str = Field(description="Sender domain: example.com, *.example.com or *")
    text: str = Field("", description="Plain-text signature")
    html: str = Field("", description="HTML signature (sanitised)")


class WebConfig(Section):
    session_hours: float = Field(12.0, description="Login cookie lifetime")


class MemoryConfig(Section):
    inflight_bytes: int = Field(
        256 * 2**20,
        description="Mail bytes received and not yet parsed, across SMTP sessions and the"
        " processing worker; beyond it SMTP answers 451 4.3.1 and the sender retries",
        ge=1,
    )


class Config(Section):
    smtp: SmtpConfig = Field(default_factory=SmtpConfig, description="Inbound SMTP")
    http: HttpConfig = Field(default_factory=HttpConfig, description="Web UI, API, webhooks")
    storage: StorageConfig = Field(default_factory=StorageConfig, description="Database")
    queues: QueuesConfig = Field(default_factory=QueuesConfig, description="Job queues")
    outbound: OutboundConfig = Field(default_factory=OutboundConfig, description="Outgoing mail")
    agent: AgentConfig = Field(default_factory=AgentConfig, description="The AI agent")
    hubspot: HubSpotConfig = Field(default_factory=HubSpotConfig, description="HubSpot")
    signatures: list[Signature] = Field(default_factory=list, description="Per-domain signatures")
    web: WebConfig = Field(default_factory=WebConfig, description="Web UI")
    memory: MemoryConfig = Field(default_factory=MemoryConfig, description="Memory bounds")

    @model_validator(mode="after")
    def _hubspot_addresses(self) -> Config:
        known = {a.address for a in self.smtp.support_addresses}
        for entry in self.hubspot.addresses:
            if entry.address not in known:
                raise ValueError(f"hubspot.addresses: {entry.address} is not one of "
                                 "smtp.support_addresses")
        return self


SECRET_NAMES = {
    "admin_token": "OPENCX_GATEWAY_ADMIN_TOKEN",
    "secret_key": "OPENCX_GATEWAY_SECRET_KEY",
    "hubspot_token": "OPENCX_GATEWAY_HUBSPOT_TOKEN",
    "hubspot_client_id": "OPENCX_GATEWAY_HUBSPOT_CLIENT_ID",
    "hubspot_client_secret": "OPENCX_GATEWAY_HUBSPOT_CLIENT_SECRET",
    "hubspot_channel_client_secret": "OPENCX_GATEWAY_HUBSPOT_CHANNEL_CLIENT_SECRET",
    "hubspot_developer_key": "OPENCX_GATEWAY_HUBSPOT_DEVELOPER_KEY",
    "relay_password": "OPENCX_GATEWAY_RELAY_PASSWORD",
    "openai_api_key": "OPENCX_GATEWAY_OPENAI_API_KEY",
    "database_url": "OPENCX_GATEWAY_DATABASE_URL",
}


class Secrets(BaseModel):
    """Secrets, from the environment or systemd credentials; never from the YAML file."""

    model_config = ConfigDict(frozen=True)
    admin_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    hubspot_token: SecretStr | None = None
    hubspot_client_id: SecretStr | None = None  # not secret, read with the secrets
    hubspot_client_secret: SecretStr | None = None
    hubspot_channel_client_secret: SecretStr | None = None
    hubspot_developer_key: SecretStr | None = None
    relay_password: SecretStr | None = None
    openai_api_key: SecretStr | None = None
    database_url: SecretStr | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Secrets:
        env = os.environ if environ is None else environ
        creds = env.get("CREDENTIALS_DIRECTORY")
        values: dict[str, str] = {}
        for field, var in SECRET_NAMES.items():
            value = env.get(var)
            cred = Path(creds, var) if creds else None
            if value is None and cred is not None and cred.is_file():
                value = cred.read_text().strip()
            if value:
                values[field] = value
        return cls(**values)

    def get(self, name: str) -> str | None:
        value = getattr(self, name)
        return value.get_secret_value() if value is not None else None


def _set_path(tree: dict[str, Any], keys: list[str], value: Any) -> None:
    for key in keys[:-1]:
        node = tree.setdefault(key, {})
        if not isinstance(node, dict):
            raise ConfigError(f"{'.'.join(keys)}: cannot override inside a non-mapping")
        tree = node
    tree[keys[-1]] = value


def apply_env_overrides(data: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Apply OPENCX_GATEWAY__SECTION__KEY=value overrides; values are parsed as YAML."""
    for name, raw in sorted(environ.items()):
        if not name.startswith(ENV_PREFIX):
            continue
        keys = [k.lower() for k in name[len(ENV_PREFIX):].split("__") if k]
        if not keys:
            continue
        try:
            value = parse_yaml(raw) if raw != "" else ""
        except yaml.YAMLError:
            value = raw
        _set_path(data, keys, value)
    return data


def _format_error(exc: ValidationError, source: str) -> str:
    first = exc.errors()[0]
    path = ".".join(str(p) for p in first["loc"]) or "(top level)"
    msg = first["msg"]
    if first["type"] == "extra_forbidden":
        msg = "unknown key"
    more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {path}: {msg}{more}"


def load_config(path: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Config:
    """Read the YAML file (if any), apply env overrides, validate; raise ConfigError."""
    env = os.environ if environ is None else environ
    chosen = Path(path or env.get(CONFIG_ENV) or "config.yaml")
    data: dict[str, Any] = {}
    if chosen.exists():
        try:
            loaded = parse_yaml(chosen.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"{chosen}: not valid YAML: {exc}") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{chosen}: the top level must be a mapping")
        data = loaded or {}
    elif path is not None:
        raise ConfigError(f"{chosen}: no such file")
    data = apply_env_overrides(data, env)
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_format_error(exc, str(chosen))) from None


def database_target(storage: StorageConfig, secrets: Secrets) -> Path | str:
    """The database to open: OPENCX_GATEWAY_DATABASE_URL, else storage.url, else the file."""
    return secrets.get("database_url") or storage.url or storage.path
