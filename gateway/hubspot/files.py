"""Attachments both ways through HubSpot Files: customer files uploaded for the inbox thread,
rep files fetched for the customer's mail (size cap, no executables, never inline)."""

from __future__ import annotations

import email
import email.policy
import logging
import mimetypes
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from gateway.hubspot.conversations import ConversationsClient
from gateway.hubspot.errors import HubSpotConnectionError, error_from_response, json_body

log = logging.getLogger(__name__)

FILES = "/files/v3/files"
FOLDER = "/opencx-gateway"
EXECUTABLE_EXTENSIONS = frozenset({
    "exe", "com", "bat", "cmd", "scr", "pif", "msi", "msp", "dll", "cpl", "jar", "js", "jse",
    "vbs", "vbe", "wsf", "wsh", "ps1", "psm1", "sh", "bash", "app", "dmg", "pkg", "deb",
    "rpm", "apk", "hta", "lnk", "reg", "iso", "docm", "xlsm", "pptm",
})
EXECUTABLE_TYPES = frozenset({
    "application/x-msdownload", "application/x-msdos-program", "application/x-executable",
    "application/x-sh", "application/x-shellscript", "application/java-archive",
    "application/javascript", "text/javascript", "application/x-ms-installer",
    "application/vnd.microsoft.portable-executable", "application/hta",
})


@dataclass(frozen=True)
class FileData:
    name: str
    content_type: str
    data: bytes


def refusal(name: str, content_type: str) -> str | None:
    """Why a file must not travel by mail (an executable), or None."""
    ext = name.rpartition(".")[2].lower() if "." in name else ""
    if ext in EXECUTABLE_EXTENSIONS:
        return f"executable file type .{ext}"
    if content_type.split(";")[0].strip().lower() in EXECUTABLE_TYPES:
        return f"executable content type {content_type}"
    return None


def safe_type(name: str, content_type: str) -> str:
    """The type to attach under: HTML and SVG (active content) become opaque downloads."""
    kind = content_type.split(";")[0].strip().lower() or (
        mimetypes.guess_type(name)[0] or "application/octet-stream")
    return "application/octet-stream" if kind in ("text/html", "image/svg+xml") else kind


def mail_attachments(raw: bytes, max_bytes: int) -> list[FileData]:
    """The attached (not inline) files of a stored customer mail, within the size cap."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for part in msg.iter_attachments():  # type: ignore[attr-defined]
        name = part.get_filename()
        data = part.get_payload(decode=True) or b""
        if not name or part.get_content_disposition() == "inline":
            continue
        if len(data) > max_bytes:
            log.warning("attachment %s skipped: %d bytes > %d", name, len(data), max_bytes)
            continue
        out.append(FileData(name, part.get_content_type(), data))
    return out


class HubSpotFiles:
    """Upload and fetch through the client's session and token (Files API v3)."""

    def __init__(self, client: ConversationsClient, max_bytes: int) -> None:
        self.client = client
        self.max_bytes = max_bytes

    async def upload(self, file: FileData, folder: str = FOLDER) -> str:
        """Upload one file (PRIVATE access); returns the HubSpot file id. An expired OAuth
        token is renewed once and the upload repeated, as for every other call."""
        self.client.stats.call("POST", FILES)
        token = await self.client.tokens.token()
        status, raw, headers = await self._post_file(file, folder, token)
        if status == 401:
            error = error_from_response(status, raw, headers)
            fresh = await self.client.tokens.renew(token, error.category)
            if fresh is None:
                raise error
            status, raw, headers = await self._post_file(file, folder, fresh)
        if status >= 300:
            raise error_from_response(status, raw, headers)
        return str(json_body(raw, status)["id"])

    async def _post_file(self, file: FileData, folder: str, token: str
                         ) -> tuple[int, bytes, Any]:
        form = aiohttp.FormData()
        form.add_field("file", file.data, filename=file.name, content_type=file.content_type)
        form.add_field("fileName", file.name)
        form.add_field("folderPath", folder)
        form.add_field("options", '{"access": "PRIVATE"}')
        try:
            async with self.client._http_session().post(
                    self.client.base_url + FILES, data=form,
                    headers=self.client._auth(token, {}),
                    timeout=aiohttp.ClientTimeout(total=self.client.timeout)) as resp:
                return resp.status, await resp.read(), resp.headers
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise HubSpotConnectionError(f"{type(exc).__name__}: upload failed") from exc

    async def fetch(self, attachment: dict[str, Any]) -> FileData | str:
        """A rep's attachment as bytes, or why it is not attached (too big, executable...)."""
        name = str(attachment.get("name") or f"attachment-{attachment.get('fileId')}")
        url = attachment.get("url")
        if not url and attachment.get("fileId"):
            path = f"{FILES}/{attachment['fileId']}/signed-url"
            url = (await self.client._call("GET", f"{FILES}/{{fileId}}/signed-url", path)
                   or {}).get("url")
        if not url or urlsplit(url).scheme not in ("http", "https"):
            return "no download URL"
        guessed = mimetypes.guess_type(name)[0] or "application/octet-stream"
        why = refusal(name, guessed)
        if why:
            return why
        try:
            data, content_type = await self._download(url)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise HubSpotConnectionError(f"{type(exc).__name__}: download failed") from exc
        if data is None:
            return f"larger than {self.max_bytes} bytes"
        why = refusal(name, content_type or guessed)
        if why:
            return why
        return FileData(name, safe_type(name, content_type or guessed), data)

    async def _download(self, url: str) -> tuple[bytes | None, str]:
        """GET without our token (the URL is HubSpot's signed file link); None past the cap."""
        async with self.client._http_session().get(
                url, timeout=aiohttp.ClientTimeout(total=self.client.timeout),
                allow_redirects=True) as resp:
            if resp.status >= 300:
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status)
            if (resp.content_length or 0) > self.max_bytes:
                return None, ""
            chunks, size = [], 0
            async for chunk in resp.content.iter_chunked(65536):
                size += len(chunk)
                if size > self.max_bytes:
                    return None, ""
                chunks.append(chunk)
            return b"".join(chunks), resp.headers.get("Content-Type", "")
