"""Builds the configured agent (builtin or OpenAI-compatible) with its knowledge index."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from gateway.agent.base import Agent
from gateway.agent.builtin import BuiltinAgent
from gateway.agent.openai import OpenAIAgent
from gateway.config import AgentConfig, Secrets
from gateway.storage.knowledge import KnowledgeIndex

SAMPLE_KB = Path(__file__).resolve().parent / "sample_kb"


def knowledge_folder(cfg: AgentConfig) -> Path:
    return cfg.knowledge_base if cfg.knowledge_base is not None else SAMPLE_KB


def build_agent(
    cfg: AgentConfig, secrets: Secrets, *, session: aiohttp.ClientSession | None = None
) -> Agent:
    """The agent ``cfg.kind`` names; raises ConfigError if the knowledge base is unusable.

    The KB is indexed here, synchronously (a few ms for a help centre of a few hundred
    sections); call it at start-up. ``session`` is used, not closed, by the OpenAI agent.
    """
    index = KnowledgeIndex.from_folder(knowledge_folder(cfg))
    if cfg.kind == "openai":
        return OpenAIAgent(cfg, index, api_key=secrets.get("openai_api_key"), session=session)
    return BuiltinAgent(cfg, index)
