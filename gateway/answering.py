"""The `agent` worker: decide answer-or-escalate for a session, then queue the reply or handoff."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from gateway.agent.base import Agent, Analysis, Decision, Escalation, Reply, Transcript, Turn
from gateway.config import Config
from gateway.locks import lease_lock
from gateway.outbox import queue_mail
from gateway.replies import MailHeaderError, OutgoingMail, Renderer, build_message
from gateway.signatures import resolve_signature
from gateway.smtp import tokens
from gateway.storage import queues, sessions
from gateway.storage.db import WriteConnection
from gateway.storage.queues import Job
from gateway.workers import Worker

log = logging.getLogger(__name__)
CONVERSATION_ROLES = ("customer", "ai", "agent")


def transcript_of(session: dict[str, Any], messages: list[dict[str, Any]]) -> Transcript:
    turns = tuple(
        Turn(role=m["role"], text=m["text"] or m["full_text"],
             at=datetime.fromtimestamp(m["created_at"], UTC))
        for m in messages if m["role"] in CONVERSATION_ROLES and m["kind"] == "normal"
    )
    return Transcript(
        session_id=session["id"], subject=session["subject"],
        customer_name=session["contact_name"], customer_email=session["contact_email"],
        turns=turns,
    )


def analysis_fields(analysis: Analysis) -> dict[str, Any]:
    return {"sentiment_label": analysis.sentiment_label,
            "sentiment_score": round(analysis.sentiment_score, 3),
            "language": analysis.language, "summary": analysis.summary}


def request_handoff(conn: WriteConnection, cfg: Config, session_id: int, *, reason: str,
                    detail: str, analysis: Analysis | None, now: float) -> bool:
    """Mark the session handed off (the AI stops) and queue the HubSpot saga; once per session."""
    session = sessions.get_session(conn, session_id)
    if session is None or session["status"] != "ai":
        return False
    fields = analysis_fields(analysis) if analysis else {}
    sessions.update_session(conn, session_id, now, status="handed_off", handoff_reason=reason,
                            handoff_detail=detail, handoff_at=now, **fields)
    sessions.add_message(conn, session_id=session_id, role="system", now=now,
                         text=f"Handed off to a human: {reason}. {detail}".strip(),
                         kind="handoff", external_id=f"handoff:{session_id}")
    if cfg.hubspot.mode != "off":
        queues.enqueue(conn, "hubspot", {"action": "handoff", "session_id": session_id},
                       now=now, max_attempts=cfg.queues.max_attempts,
                       dedupe_key=f"hubspot-handoff:{session_id}")
    return True


class AgentWorker(Worker):
    """Answers AI-owned sessions once their customer has stopped typing (debounce)."""

    queue = "agent"

    def __init__(self, agent: Agent, renderer: Renderer, config: Config,
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.agent = agent
        self.renderer = renderer
        self.config = config
        self.replies = 0
        self.escalations: dict[str, int] = {}

    async def handle(self, job: Job) -> None:
        # several instances on one database: one session is answered on one at a time
        sid, lease = job.payload["session_id"], self.cfg.lease_seconds
        async with lease_lock(self.db, f"agent-session:{sid}", ttl=lease,
                              wait=max(lease / 10, 1), clock=self.clock):
            await self._answer(job)

    async def _answer(self, job: Job) -> None:
        sid, row = job.payload["session_id"], job.payload["message_row"]
        cap = self.config.agent.reply_cap
        since = self.clock() - cap.window_minutes * 60

        def snapshot(c: Any) -> tuple[dict | None, list[dict], int]:
            s = sessions.get_session(c, sid)
            msgs = sessions.session_messages(c, sid) if s else []
            sent = sessions.ai_replies_since(c, s["contact_email"], since) if s else 0
            return s, msgs, sent

        session, messages, sent = await self.db.read(snapshot)
        if session is None or not self._should_answer(session, messages, row):
            return
        if sent >= cap.max_replies:
            await self._note(sid, f"reply cap reached ({sent} AI replies in "
                                   f"{cap.window_minutes} min): not answered", f"cap:{row}")
            log.warning("reply cap session=%s contact=%s", sid, session["contact_email"])
            return
        decision = await self.agent.decide(transcript_of(session, messages))
        if isinstance(decision.action, Reply):
            await self._reply(session, messages, decision, row)
        else:
            await self._escalate(session, decision)

    @staticmethod
    def _should_answer(session: dict, messages: list[dict], row: int) -> bool:
        """Only for AI sessions, only the newest customer mail, only if not answered yet."""
        if session["status"] != "ai":
            return False
        convo = [m for m in messages if m["role"] in CONVERSATION_ROLES and m["kind"] == "normal"]
        customer = [m for m in convo if m["role"] == "customer"]
        if not customer or customer[-1]["id"] != row:
            return False
        return convo[-1]["id"] == row

    async def _reply(self, session: dict, messages: list[dict], decision: Decision,
                     row: int) -> None:
        assert isinstance(decision.action, Reply)
        cfg = self.config
        last = next(m for m in messages if m["id"] == row)
        signature = resolve_signature(session["support_address"], cfg.signatures).signature
        body = await self.renderer.render(markdown=decision.action.markdown, signature=signature)
        mail = outgoing_for(cfg, session, last, unique=f"ai{row}", auto=True)
        now = self.clock()
        try:
            # ~3.5 ms of the email package per reply: off the event loop, which meanwhile
            # serves SMTP sessions and the relay (docs/benchmarks.md, end-to-end latency)
            raw = await asyncio.to_thread(build_message, mail, body,
                                          date=datetime.fromtimestamp(now, UTC))
        except MailHeaderError as exc:  # e.g. "jane..doe@x": a human must answer, say why
            detail = f"no reply can be sent to this address: {exc}"
            await self.db.write(lambda c: request_handoff(
                c, cfg, session["id"], reason="reply_undeliverable", analysis=decision.analysis,
                detail=detail, now=now))
            log.warning("reply impossible session=%s: %s", session["id"], detail)
            return

        cap = cfg.agent.reply_cap
        since = now - cap.window_minutes * 60

        def write(conn: WriteConnection) -> None:
            if sessions.ai_replies_since(conn, session["contact_email"], since) >= cap.max_replies:
                sessions.add_message(  # re-checked here: concurrent jobs commit one by one
                    conn, session_id=session["id"], role="system", now=now, kind="note",
                    text="reply cap reached: not answered", external_id=f"cap:{row}")
                return
            ai_row = sessions.add_message(
                conn, session_id=session["id"], role="ai", now=now, message_id=mail.message_id,
                in_reply_to=mail.in_reply_to, refs=mail.references, subject=mail.subject,
                author=mail.from_addr, text=decision.action.markdown, full_text=body.text,
                html=body.html, external_id=f"ai-reply:{row}",
            )
            if ai_row is None:
                return
            reply = decision.action
            sessions.add_message(  # why the AI answered, for `inbox show` and the UI
                conn, session_id=session["id"], role="system", now=now, kind="note",
                text=f"AI answered from {', '.join(reply.sources) or 'no KB passage'}"
                     + (f": {reply.evidence}" if getattr(reply, "evidence", "") else ""),
                external_id=f"ai-evidence:{row}")
            queue_mail(conn, cfg, session_id=session["id"], message_row=ai_row,
                       message_id=mail.message_id, mail_from=mail.from_addr,
                       rcpt_to=mail.to_addr, raw=raw, now=now)
            sessions.update_session(conn, session["id"], now, **analysis_fields(decision.analysis))
            sessions.touch_session(conn, session["id"], now)

        await self.db.write(write)
        self.replies += 1
        log.info("ai reply session=%s sources=%s", session["id"], ",".join(decision.action.sources))

    async def _escalate(self, session: dict, decision: Decision) -> None:
        assert isinstance(decision.action, Escalation)
        esc, now = decision.action, self.clock()
        done = await self.db.write(lambda c: request_handoff(
            c, self.config, session["id"], reason=str(esc.reason), detail=esc.detail,
            analysis=decision.analysis, now=now))
        if done:
            self.escalations[str(esc.reason)] = self.escalations.get(str(esc.reason), 0) + 1
            log.info("escalated session=%s reason=%s", session["id"], esc.reason)

    async def on_dead(self, job: Job, error: str) -> None:
        """The AI gave up on this mail for good: a human takes over, with the error shown."""
        sid, now = job.payload.get("session_id"), self.clock()
        if sid is None:
            return
        done = await self.db.write(lambda c: request_handoff(
            c, self.config, int(sid), reason="ai_failed", analysis=None, now=now,
            detail=f"the AI could not answer (job {job.id}): {error[:500]}"))
        if done:
            log.warning("agent job dead, handed off session=%s: %s", sid, error[:200])

    async def _note(self, sid: int, text: str, key: str) -> None:
        now = self.clock()
        await self.db.write(lambda c: sessions.add_message(
            c, session_id=sid, role="system", now=now, text=text, kind="note", external_id=key))


def outgoing_for(cfg: Config, session: dict, reply_to_msg: dict | None, *, unique: str,
                 auto: bool) -> OutgoingMail:
    """Headers for a reply in the customer's thread: From the support address, our token inside."""
    support = session["support_address"]
    name = next((a.name for a in cfg.smtp.support_addresses if a.address == support), "Support")
    refs: list[str] = list(reply_to_msg["refs"]) if reply_to_msg else []
    parent = reply_to_msg["message_id"] if reply_to_msg else None
    if parent and parent not in refs:
        refs.append(parent)
    return OutgoingMail(
        from_addr=support, from_name=name, to_addr=session["contact_email"],
        to_name=session["contact_name"], reply_to=support,
        subject=tokens.reply_subject(session["subject"], session["id"]),
        message_id=tokens.make_message_id(session["token"], cfg.smtp.hostname, unique),
        in_reply_to=parent, references=tuple(refs[-20:]), auto_submitted=auto,
        extra_headers={"X-OpenCX-Session": str(session["id"])},
    )
