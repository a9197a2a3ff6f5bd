"""Config: every setting is documented in config.yaml, env overrides, errors name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from gateway.config import Config, ConfigError, Secrets, load_config

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "config.yaml"


def leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    out = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        sub = next((a for a in getattr(ann, "__args__", (ann,))
                    if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if sub is not None and sub is not Config:
            out += leaf_paths(sub, f"{prefix}{name}.")
        else:
            out.append(f"{prefix}{name}")
    return out


def test_every_setting_is_in_the_shipped_config() -> None:
    text = SHIPPED.read_text()
    missing = [p for p in leaf_paths(Config) if f"{p.rsplit('.', 1)[-1]}:" not in text]
    assert not missing, f"document these in config.yaml: {missing}"


def test_shipped_config_loads_with_defaults_for_make_run() -> None:
    cfg = load_config(SHIPPED, environ={})
    assert cfg.hubspot.mode == "emulator"
    assert cfg.outbound.mode == "maildir"
    assert cfg.agent.kind == "builtin"
    assert str(cfg.storage.path).startswith("var/")


def test_env_overrides_any_key_and_keeps_off_a_string() -> None:
    cfg = load_config(SHIPPED, environ={
        "OPENCX_GATEWAY__SMTP__LISTEN": "127.0.0.1:2526",
        "OPENCX_GATEWAY__STORAGE__PATH": "var/test.db",
        "OPENCX_GATEWAY__HUBSPOT__MODE": "off",
        "OPENCX_GATEWAY__AGENT__OPENAI__MODEL": "qwen",
        "OPENCX_GATEWAY__AGENT__PROHIBITED_TOPICS": "[lawyer, refund]",
    })
    assert cfg.smtp.listen == "127.0.0.1:2526"
    assert str(cfg.storage.path) == "var/test.db"
    assert cfg.hubspot.mode == "off"
    assert cfg.agent.openai.model == "qwen"
    assert cfg.agent.prohibited_topics == ["lawyer", "refund"]


@pytest.mark.parametrize(("env", "message"), [
    ({"OPENCX_GATEWAY__SMTP__BOGUS": "1"}, "smtp.bogus: unknown key"),
    ({"OPENCX_GATEWAY__SMTP__LISTEN": "nonsense"}, "smtp.listen"),
    ({"OPENCX_GATEWAY__QUEUES__MAX_ATTEMPTS": "many"}, "queues.max_attempts"),
])
def test_errors_name_the_key(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_config(SHIPPED, environ=env)
    assert message in str(err.value)


def test_missing_named_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_config(tmp_path / "nope.yaml", environ={})


def test_secrets_come_from_env_and_credentials(tmp_path: Path) -> None:
    (tmp_path / "OPENCX_GATEWAY_HUBSPOT_TOKEN").write_text("pat-from-credential\n")
    s = Secrets.from_env({"CREDENTIALS_DIRECTORY": str(tmp_path),
                          "OPENCX_GATEWAY_RELAY_PASSWORD": "pw"})
    assert s.get("hubspot_token") == "pat-from-credential"
    assert s.get("relay_password") == "pw"
    assert "pat-from" not in repr(s)
