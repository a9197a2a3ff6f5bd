"""Portal profiles of the HubSpot emulator: pipelines, inboxes and help-desk auto-tickets.

``classic`` is a portal with HubSpot's default ticket pipeline ``0`` (stages 1-4).
``helpdesk`` models a help-desk / customised portal: no pipeline ``0``; two pipelines with
long numeric ids, as HubSpot gives to pipelines created in the UI. With
``helpdesk_auto_ticket`` on, the first message of a new thread in an inbox makes a ticket
in the default pipeline, associated with the thread and its contact (UNCONFIRMED: which
inboxes do this and with which subject is portal-dependent, see docs/hubspot.md).
``GET /account-info/v3/details`` tells any token its portal id (``portal_id`` setting).
"""

from __future__ import annotations

from aiohttp import web

from gateway.hubspot.emulator.http import CTX, Context, api, json_response
from gateway.hubspot.emulator.schema import _iso, _stage, default_pipelines
from gateway.hubspot.emulator.state import EmulatorState, Json, Thread

PROFILES = ("classic", "helpdesk")
HELPDESK_PIPELINE = "758463921"
HELPDESK_NEW_STAGE = "1063489502"
AUTO_SUBJECT_CHARS = 120

routes = web.RouteTableDef()


@routes.get("/account-info/v3/details")
@api()
async def account_details(request: web.Request) -> web.Response:
    """The portal of the calling token; every token kind may ask (no scope beyond "oauth")."""
    state = request.app[CTX].state
    return json_response({
        "portalId": state.settings.portal_id, "accountType": "DEVELOPER_TEST",
        "timeZone": "UTC", "companyCurrency": "USD", "additionalCurrencies": [],
        "utcOffset": "+00:00", "utcOffsetMilliseconds": 0,
        "uiDomain": state.settings.ui_domain, "dataHostingLocation": "na1"})


def helpdesk_pipelines(now: float) -> dict[str, list[Json]]:
    """Two custom pipelines with non-default ids; the first is the portal's default."""
    def pipeline(pid: str, label: str, order: int, stages: list[Json]) -> Json:
        return {"id": pid, "label": label, "displayOrder": order, "stages": stages,
                "createdAt": _iso(now), "updatedAt": _iso(now), "archived": False}

    support = pipeline(HELPDESK_PIPELINE, "Help Desk", 0, [
        _stage(HELPDESK_NEW_STAGE, "New", 0, False, now),
        _stage("1063489503", "Waiting on customer", 1, False, now),
        _stage("1063489504", "Waiting on us", 2, False, now),
        _stage("1063489505", "Closed", 3, True, now),
    ])
    escalations = pipeline("758463977", "Escalations", 1, [
        _stage("1063490010", "Triage", 0, False, now),
        _stage("1063490011", "In progress", 1, False, now),
        _stage("1063490012", "Resolved", 2, True, now),
    ])
    return {"tickets": [support, escalations]}


def apply_profile(state: EmulatorState, profile: str) -> None:
    """Replace the ticket pipelines with those of ``profile`` (classic or helpdesk)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown portal profile {profile!r}: choose {', '.join(PROFILES)}")
    now = state.now()
    state.pipelines = helpdesk_pipelines(now) if profile == "helpdesk" else default_pipelines(now)


def default_pipeline_id(state: EmulatorState) -> str:
    """The pipeline HubSpot uses when a ticket names none: the lowest displayOrder."""
    pipelines = sorted(state.pipelines["tickets"], key=lambda p: p["displayOrder"])
    return str(pipelines[0]["id"]) if pipelines else "0"


def add_inbox(state: EmulatorState, name: str, inbox_id: str | None = None) -> Json:
    """Another conversations inbox (a portal may have several)."""
    now = state.now()
    new_id = inbox_id or str(147959634 + len(state.inboxes) * 1000)
    inbox = {"id": new_id, "name": name, "type": "INBOX", "createdAt": _iso(now),
             "updatedAt": _iso(now), "archived": False}
    state.inboxes[new_id] = inbox
    return inbox


def auto_ticket(ctx: Context, thread: Thread, message: Json) -> None:
    """Help-desk behaviour: a new thread's first INCOMING message opens a ticket for it."""
    from gateway.hubspot.emulator.crm import create_object

    state = ctx.state
    if not state.settings.helpdesk_auto_ticket or thread.ticket_id is not None:
        return
    if message.get("direction") != "INCOMING" or len(thread.message_ids) != 1:
        return
    pipeline = default_pipeline_id(state)
    stages = next(p["stages"] for p in state.pipelines["tickets"] if p["id"] == pipeline)
    first_stage = sorted(stages, key=lambda s: s["displayOrder"])[0]["id"]
    text = (message.get("subject") or message.get("text") or "New conversation").strip()
    subject = text.splitlines()[0][:AUTO_SUBJECT_CHARS] if text else "New conversation"
    ticket = create_object(ctx, "tickets", {"properties": {
        "subject": subject, "hs_pipeline": pipeline, "hs_pipeline_stage": first_stage}})
    thread.ticket_id = ticket.id
    if thread.associated_contact_id:
        state.associate("tickets", ticket.id, "contacts", thread.associated_contact_id)
