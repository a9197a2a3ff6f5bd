"""What the pages and the JSON API show: one async function per screen, shared by both."""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit

from gateway.errors import GatewayError, NotFound
from gateway.failures import failures
from gateway.hubspot.errors import HubSpotError
from gateway.hubspot.setup import portal_for_links, ticket_route
from gateway.replies import render_markdown, sanitize_html
from gateway.signatures import resolve_signature, signature_problems
from gateway.storage import queues, sessions, views

log = logging.getLogger(__name__)

STATUSES = ("ai", "handed_off", "closed")
JOB_FILTERS = {"ready": ("ready",), "claimed": ("claimed",), "retrying": ("ready",),
               "dead": ("dead",), "all": ("ready", "claimed", "dead")}
ROLE_LABELS = {"customer": "Customer", "ai": "AI", "agent": "Agent", "system": "System",
               "internal": "Internal note", "note": "Internal note", "comment": "Internal note"}
SECRET_KEYS = frozenset({"token", "access_token", "refresh_token", "client_secret", "secret",
                         "developer_key", "api_key", "apikey", "hapikey", "password",
                         "authorization", "private_app_token"})
HUBSPOT_STATUS_TIMEOUT = 10.0
MAX_PAGE = 200


class InvalidInput(GatewayError):
    """The request names something malformed (a bad filter, an empty address): HTTP 400."""


def page_args(limit: Any, offset: Any, default: int = 50) -> tuple[int, int]:
    try:
        lim = default if limit in (None, "") else int(limit)
        off = 0 if offset in (None, "") else int(offset)
    except (TypeError, ValueError):
        raise InvalidInput("limit and offset must be whole numbers") from None
    if not 1 <= lim <= MAX_PAGE or off < 0:
        raise InvalidInput(f"limit must be 1..{MAX_PAGE} and offset >= 0")
    return lim, off


# -- inbox and sessions -----------------------------------------------------------------------
async def inbox(gw: Any, *, status: str | None, q: str | None, limit: int,
                offset: int) -> dict[str, Any]:
    if status and status not in STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}")
    q = (q or "").strip()[:200] or None

    def read(c: Any) -> dict[str, Any]:
        rows = sessions.list_sessions(c, status=status, query=q, limit=limit, offset=offset)
        total = views.count_sessions_matching(c, status=status, query=q)
        cap = sessions.SEARCH_COUNT_CAP  # a search counts its matches up to this many
        failed = failures(c, [r["id"] for r in rows])
        return {"sessions": [session_summary(r, failed.get(r["id"])) for r in rows],
                "total": min(total, cap), "total_exact": total <= cap,
                "counts": sessions.count_sessions(c)}

    data = await gw.db.read(read)
    data.update(status=status, q=q, limit=limit, offset=offset)
    return data


def session_summary(row: dict[str, Any], failure: dict[str, Any] | None = None
                    ) -> dict[str, Any]:
    keys = ("id", "status", "subject", "contact_email", "contact_name", "support_address",
            "created_at", "last_activity_at", "handoff_reason", "hubspot_ticket_id")
    out = {k: row.get(k) for k in keys}
    out["message_count"] = row.get("message_count")
    out["failure"] = failure  # dead work: state, label, error, job_id, action (or None)
    return out


async def session_detail(gw: Any, session_id: int) -> dict[str, Any]:
    def read(c: Any) -> tuple[dict | None, list[dict], list[dict]]:
        s = sessions.get_session(c, session_id)
        if s is None:
            return None, [], []
        s["failure"] = failures(c, [session_id]).get(session_id)
        return s, sessions.session_messages(c, session_id), views.outgoing_for_session(
            c, session_id)

    session, messages, outgoing = await gw.db.read(read)
    if session is None:
        raise NotFound(f"no session #{session_id}")
    session.pop("token", None)
    session["messages"] = [message_view(m) for m in messages]
    session["outgoing"] = outgoing
    session["flags"] = flags_of(messages)
    session["hubspot_links"] = hubspot_links(*link_portal(gw), session)
    return session


def message_view(m: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "role", "kind", "reasons", "author", "subject", "text", "message_id",
            "in_reply_to", "created_at", "attachments", "hubspot_message_id",
            "outbox_status", "outbox_error", "outbox_sent_at", "outgoing_id")
    out = {k: m.get(k) for k in keys}
    out["label"] = ROLE_LABELS.get(m["role"], m["role"].replace("_", " ").title())
    out["internal"] = m["role"] in ("system", "internal", "note", "comment")
    out["has_html"] = bool(m.get("html"))
    # The AI writes Markdown: show it formatted (escaped by the renderer, then sanitised).
    out["text_html"] = (sanitize_html(render_markdown(m["text"]))
                        if m["role"] == "ai" and m.get("text") else None)
    return out


def flags_of(messages: list[dict[str, Any]]) -> list[str]:
    """Classification flags seen in the session (auto_reply, bounce, ...), with their reasons."""
    seen: dict[str, None] = {}
    for m in messages:
        if m["role"] == "customer" and m["kind"] != "normal":
            seen[m["kind"]] = None
        for reason in m.get("reasons") or ():
            seen[str(reason)] = None
    return list(seen)


def link_portal(gw: Any) -> tuple[int | None, str]:
    """(portal id, UI domain): hubspot.portal_id if set, else the one setup detected."""
    service = gw.hubspot
    state = (service.current_setup() if gw.cfg.hubspot.mode != "off" and service is not None
             and hasattr(service, "current_setup") else None)
    return portal_for_links(gw.cfg.hubspot, state)


def hubspot_links(portal_id: int | None, domain: str, s: dict[str, Any]) -> dict[str, str]:
    if not portal_id:
        return {}
    base = f"https://{domain}/contacts/{portal_id}"
    links = {}
    if s.get("hubspot_ticket_id"):
        links["ticket"] = f"{base}/record/0-5/{s['hubspot_ticket_id']}"
    if s.get("hubspot_contact_id"):
        links["contact"] = f"{base}/record/0-1/{s['hubspot_contact_id']}"
    if s.get("hubspot_thread_id"):
        links["thread"] = (f"https://{domain}/live-messages/{portal_id}/inbox/"
                           f"{s['hubspot_thread_id']}")
    return links


async def message_html(gw: Any, session_id: int, message_id: int) -> str:
    """A message's HTML body, sanitised (nh3): what the transcript's sandboxed frame shows."""
    row = await gw.db.read(lambda c: sessions.get_message(c, message_id))
    if row is None or row["session_id"] != session_id or not row.get("html"):
        raise NotFound(f"no HTML body for message {message_id} of session #{session_id}")
    return await asyncio.to_thread(sanitize_html, row["html"])


# -- channels -----------------------------------------------------------------------------
async def channels(gw: Any) -> list[dict[str, Any]]:
    rows = {r["address"]: r for r in await gw.db.read(sessions.list_addresses)}
    hubspot = hubspot_addresses(gw)
    out = []
    for support in gw.cfg.smtp.support_addresses:
        row = rows.get(support.address, {})
        out.append({
            "address": support.address, "name": support.name,
            "forward_to": gw.cfg.smtp.forward_address(support),
            "status": row.get("status", "pending"), "verified_at": row.get("verified_at"),
            "verified_by": row.get("verified_by"), "failure": row.get("failure"),
            "gmail_code": row.get("gmail_code"), "gmail_link": row.get("gmail_link"),
            "gmail_link_safe": _https(row.get("gmail_link")),
            "challenge_sent_at": row.get("challenge_sent_at"),
            "last_mail_at": row.get("last_mail_at"),
            "last_inbound_id": row.get("last_inbound_id"),
            "hubspot": hubspot.get(support.address),
        })
    return out


def hubspot_addresses(gw: Any) -> dict[str, dict[str, Any]]:
    """Per support address: its channel account, inbox, ticket pipeline/stage, signature."""
    service, hub = gw.hubspot, gw.cfg.hubspot
    if hub.mode == "off" or service is None or not hasattr(service, "current_setup"):
        return {}
    state = service.current_setup()
    out = {}
    for support in gw.cfg.smtp.support_addresses:
        ids = state.accounts.get(support.address) or {}
        own = hub.for_address(support.address)
        pipeline, stage = ticket_route(hub, state, support.address)
        out[support.address] = {
            "channel_account_id": ids.get("channel_account_id"), "inbox_id": ids.get("inbox_id"),
            "pipeline": pipeline, "stage": stage,
            "signature_domain": (own.signature_domain if own else None)
            or support.address.rpartition("@")[2]}
    return out


def _https(url: str | None) -> bool:
    """Only an https:// link captured from mail is rendered clickable."""
    return bool(url) and urlsplit(url or "").scheme == "https"


# -- queue --------------------------------------------------------------------------------
async def queue_view(gw: Any, *, status: str, queue: str | None, limit: int,
                     offset: int) -> dict[str, Any]:
    if status not in JOB_FILTERS:
        raise InvalidInput(f"status must be one of {', '.join(JOB_FILTERS)}")
    now = gw.clock()

    def read(c: Any) -> dict[str, Any]:
        jobs, total = views.jobs_page(c, statuses=JOB_FILTERS[status], queue=queue or None,
                                      retrying_only=status == "retrying", limit=limit,
                                      offset=offset)
        return {"depths": queues.depths(c, now=now), "jobs": [job_view(j) for j in jobs],
                "total": total, "queues": views.queue_names(c)}

    data = await gw.db.read(read)
    data.update(status=status, queue=queue or None, limit=limit, offset=offset)
    return data


def job_view(job: queues.Job) -> dict[str, Any]:
    out = job.as_dict()
    out["retrying"] = job.status == "ready" and job.attempts > 0
    out["session_id"] = job.payload.get("session_id")
    out["requeueable"] = job.status in ("dead", "ready")
    return out


async def requeue(gw: Any, job_id: int) -> dict[str, Any]:
    now = gw.clock()

    def write(c: Any) -> tuple[queues.Job | None, queues.Job | None]:
        return queues.requeue(c, job_id, now=now), queues.get(c, job_id)

    job, current = await gw.db.write(write)
    if current is None:
        raise NotFound(f"no job {job_id}")
    if job is None:
        raise GatewayError(f"job {job_id} is {current.status}; only dead or waiting jobs "
                           "can be requeued")
    log.info("web requeue job=%s queue=%s", job_id, job.queue)
    return job_view(job)


# -- settings -----------------------------------------------------------------------------
def signatures_view(gw: Any, address: str | None) -> dict[str, Any]:
    sigs = gw.cfg.signatures
    rows = [{"domain": s.domain, "text": s.text, "html": sanitize_html(s.html) if s.html else ""}
            for s in sigs]
    preview = None
    address = (address or "").strip()[:320]
    if address:
        res = resolve_signature(address, sigs)
        preview = {"address": address, "pattern": res.pattern, "why": res.why,
                   "text": res.signature.text if res.signature else None,
                   "html": sanitize_html(res.signature.html) if res.signature else None}
    return {"signatures": rows, "problems": signature_problems(sigs), "preview": preview}


async def hubspot_view(gw: Any, webhook_paths: list[str]) -> dict[str, Any]:
    """Mode, the service's own status (when on), and the webhook URLs HubSpot must call."""
    cfg = gw.cfg.hubspot
    base = gw.public_url()
    out: dict[str, Any] = {"mode": cfg.mode, "webhook_urls": [base + p for p in webhook_paths],
                           "public_url": base, "status": None, "status_error": None,
                           "checks": [], "addresses": hubspot_addresses(gw)}
    service = gw.hubspot
    if cfg.mode == "off" or service is None or not hasattr(service, "status"):
        out["status_error"] = None if cfg.mode == "off" else "the HubSpot service is not running"
        return out
    try:
        status = await asyncio.wait_for(service.status(), HUBSPOT_STATUS_TIMEOUT)
    except TimeoutError:
        out["status_error"] = f"HubSpot did not answer within {HUBSPOT_STATUS_TIMEOUT:.0f} s"
        return out
    except HubSpotError as exc:
        out["status_error"] = f"{type(exc).__name__}: {exc}"
        return out
    out["status"] = scrub(status, known_secrets(gw))
    out["checks"] = hubspot_checks(out["status"], cfg.tag_property)
    return out


def portal_check(portal: dict[str, Any]) -> dict[str, Any]:
    """Which portal the UI links into, and whether it was configured or detected."""
    if not portal.get("id"):
        return {"label": "Portal", "ok": None, "detail": "not known: run `opencx-gateway "
                "hubspot setup` (detects it) or set hubspot.portal_id; no links until then"}
    how = "hubspot.portal_id" if portal.get("source") == "config" else "detected at setup"
    return {"label": "Portal", "ok": True,
            "detail": f"{portal['id']} ({how}), links into {portal.get('ui_domain')}"}


def hubspot_checks(status: dict[str, Any], tag_property: str) -> list[dict[str, Any]]:
    """The connection at a glance: (label, ok True/False/None = unknown, what it means)."""
    setup, check = status.get("setup") or {}, status.get("setup_check") or {}
    health, missing = status.get("health") or {}, status.get("missing_scopes")
    areas = status.get("checks") or {}
    failing = [f"{k}: {v}" for k, v in areas.items() if v != "ok"]
    fix = "run `opencx-gateway hubspot setup` (or doctor)"
    return [
        credentials_check(status.get("credentials") or {}),
        {"label": "Token", "ok": status.get("token_valid"),
         "detail": "accepted by HubSpot" if status.get("token_valid") else
         "refused or missing: install the app (OAuth) or check "
         "OPENCX_GATEWAY_HUBSPOT_TOKEN (docs/hubspot.md)"},
        {"label": "Scopes", "ok": None if missing is None else not missing,
         "detail": "all required scopes granted" if not missing else
         "missing: " + ", ".join(map(str, missing))},
        {"label": "API access", "ok": None if not areas else not failing,
         "detail": ", ".join(failing) if failing else ", ".join(areas) or "not checked"},
        {"label": f"Property {tag_property}", "ok": check.get("tag_property"),
         "detail": "present on tickets" if check.get("tag_property") else f"missing: {fix}"},
        {"label": "Custom channel", "ok": check.get("channel"),
         "detail": (f"channel {setup.get('channel_id')}, account "
                    f"{setup.get('channel_account_id')}, inbox {setup.get('inbox_id')}")
         if setup.get("channel_id") else f"not registered: {fix}"},
        portal_check(status.get("portal") or {}),
        {"label": "HubSpot reachable", "ok": not health.get("outage"),
         "detail": health.get("last_error") or "no outage"},
    ]


def credentials_check(cred: dict[str, Any]) -> dict[str, Any]:
    """Which credential kind is in use and what it enables; OAuth: installed or not."""
    oauth = cred.get("oauth")
    if oauth is not None and (not oauth.get("installed") or oauth.get("status") != "ok"):
        why = ("not installed yet" if not oauth.get("installed") else
               f"refresh token refused ({oauth.get('error')})")
        return {"label": "Credentials", "ok": False, "install": True,
                "detail": f"{cred.get('label')}: {why}: install the app (link below)"}
    return {"label": "Credentials", "ok": cred.get("inbox_threads"),
            "install": oauth is not None,
            "detail": f"{cred.get('label')}: {cred.get('explain')}" if cred else "unknown"}


def known_secrets(gw: Any) -> set[str]:
    values = {gw.admin_token, gw.secret_key.decode(errors="replace")}
    values |= {v for name in type(gw.secrets).model_fields if (v := gw.secrets.get(name))}
    return {v for v in values if len(v) >= 8}


def scrub(value: Any, secrets: set[str]) -> Any:
    """Drop keys that name a secret and mask any string holding one, however deep."""
    if isinstance(value, dict):
        return {k: scrub(v, secrets) for k, v in value.items()
                if str(k).lower() not in SECRET_KEYS}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, str) and any(s in value for s in secrets):
        return "[redacted]"
    return value
