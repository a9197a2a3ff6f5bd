"""Inbound STARTTLS: offered when a certificate is configured, never required."""

from __future__ import annotations

import ssl
from pathlib import Path

import aiosmtplib
import pytest

from gateway.config import Secrets
from gateway.daemon import Gateway
from gateway.storage import sessions
from tests.conftest import CUSTOMER, SUPPORT, build_mail, make_config
from tests.relay.conftest import TlsFiles, tls_files

__all__ = ["tls_files"]  # the relay tests' certificate fixture


async def test_starttls_is_offered_and_mail_arrives_encrypted_or_not(
    tmp_path: Path, secrets: Secrets, tls_files: TlsFiles
) -> None:
    cfg = make_config(tmp_path, smtp={"tls_cert_file": str(tls_files.cert),
                                      "tls_key_file": str(tls_files.key)})
    gw = Gateway(cfg, secrets)
    await gw.start()
    try:
        host, port = gw.smtp_address
        client_ctx = ssl.create_default_context(cafile=str(tls_files.cert))
        async with aiosmtplib.SMTP(hostname=host, port=port, start_tls=False) as plain:
            await plain.ehlo()
            assert plain.supports_extension("starttls")
            await plain.starttls(tls_context=client_ctx, server_hostname="localhost")
            _, secure_msg = await plain.sendmail(CUSTOMER, [SUPPORT], build_mail(subject="tls"))
        async with aiosmtplib.SMTP(hostname=host, port=port, start_tls=False) as plain:
            _, clear_msg = await plain.sendmail(CUSTOMER, [SUPPORT], build_mail(subject="clear"))
        for reply in (secure_msg, clear_msg):
            inbound_id = reply.rsplit(" ", 1)[1]
            assert gw.db.read_sync(lambda c, i=inbound_id: sessions.get_inbound(c, i))
    finally:
        await gw.stop()


def test_certificate_without_key_is_a_config_error(tmp_path: Path) -> None:
    from gateway.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="go together"):
        load_config(environ={"OPENCX_GATEWAY__SMTP__TLS_CERT_FILE": "/etc/cert.pem"},
                    path=Path(__file__).resolve().parents[2] / "config.yaml")
