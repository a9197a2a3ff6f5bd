"""Files API v3 of the HubSpot emulator: upload, metadata, signed URLs and the file host.

``POST /files/v3/files`` takes multipart/form-data (``file``, ``fileName``, ``folderPath``,
``options`` JSON with ``access``), as HubSpot's Files API does; the bytes are served from
``/_emulator/files/{id}/{name}`` (standing in for HubSpot's file CDN, no auth), and
``GET /files/v3/files/{id}/signed-url`` hands that URL out. Published messages may name
uploaded files in ``attachments`` (``{"type": "FILE", "fileId": ...}``); an unknown id is
refused with 400.
"""

from __future__ import annotations

import json
import mimetypes
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from gateway.hubspot.emulator.http import CTX, HubSpotHTTPError, api, json_response
from gateway.hubspot.emulator.state import EmulatorState, Json, iso

routes = web.RouteTableDef()
FILES = ("files",)
MAX_FILE_BYTES = 20 * 2**20
ACCESS = frozenset({"PUBLIC_INDEXABLE", "PUBLIC_NOT_INDEXABLE", "HIDDEN_INDEXABLE",
                    "HIDDEN_NOT_INDEXABLE", "HIDDEN_PRIVATE", "PRIVATE"})


@dataclass
class StoredFile:
    meta: Json
    data: bytes
    content_type: str


def _kind(content_type: str) -> str:
    major = content_type.split("/", 1)[0]
    return {"image": "IMG", "video": "MOVIE", "audio": "AUDIO"}.get(major, "OTHER")


def store_file(state: EmulatorState, host: str, name: str, data: bytes, content_type: str,
               folder: str = "/", access: str = "PRIVATE") -> Json:
    """Keep an uploaded file; returns its metadata as HubSpot shows it."""
    if len(data) > MAX_FILE_BYTES:
        raise HubSpotHTTPError(413, f"File exceeds {MAX_FILE_BYTES} bytes")
    file_id = state.next_id("files")
    base, dot, ext = name.rpartition(".")
    stamp = iso(state.now())
    meta = {"id": file_id, "name": base if dot else name, "extension": ext if dot else "",
            "path": f"{folder.rstrip('/')}/{name}", "size": len(data),
            "type": _kind(content_type), "access": access, "archived": False,
            "createdAt": stamp, "updatedAt": stamp,
            "url": f"{host}/_emulator/files/{file_id}/{name}"}
    state.files[file_id] = StoredFile(meta, data, content_type)
    return meta


def attachment_json(state: EmulatorState, raw: Any) -> Json:
    """A message attachment as HubSpot returns it; the file must exist."""
    if not isinstance(raw, dict) or raw.get("type") != "FILE":
        raise HubSpotHTTPError(400, "attachments must be {\"type\": \"FILE\", \"fileId\": ...}")
    stored = state.files.get(str(raw.get("fileId")))
    if stored is None:
        raise HubSpotHTTPError(400, f"File {raw.get('fileId')} does not exist")
    meta = stored.meta
    name = f"{meta['name']}.{meta['extension']}" if meta["extension"] else meta["name"]
    return {"type": "FILE", "fileId": meta["id"], "name": name, "url": meta["url"],
            "fileUsageType": raw.get("fileUsageType") or "STANDARD"}


def _host(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _file(request: web.Request) -> StoredFile:
    stored = request.app[CTX].state.files.get(request.match_info["file_id"])
    if stored is None:
        raise HubSpotHTTPError(404, "File not found", "OBJECT_NOT_FOUND")
    return stored


@routes.post("/files/v3/files")
@api(scopes=FILES)
async def upload(request: web.Request) -> web.Response:
    if not request.content_type.startswith("multipart/"):
        raise HubSpotHTTPError(415, "Content-Type must be multipart/form-data")
    fields: dict[str, Any] = {}
    data, content_type, filename = b"", "application/octet-stream", None
    async for part in await request.multipart():
        if part.name == "file":  # type: ignore[union-attr]
            filename = part.filename  # type: ignore[union-attr]
            content_type = part.headers.get("Content-Type", content_type)  # type: ignore[union-attr]
            data = bytes(await part.read())  # type: ignore[union-attr]
        elif part.name:  # type: ignore[union-attr]
            fields[part.name] = await part.text()  # type: ignore[union-attr]
    name = fields.get("fileName") or filename
    if not name or filename is None:
        raise HubSpotHTTPError(400, "file is required")
    options = json.loads(fields.get("options") or "{}")
    access = options.get("access", "PRIVATE")
    if access not in ACCESS:
        raise HubSpotHTTPError(400, f"Invalid access: {access}")
    if not fields.get("folderPath") and not fields.get("folderId"):
        raise HubSpotHTTPError(400, "folderPath or folderId is required")
    guessed = mimetypes.guess_type(name)[0]
    meta = store_file(request.app[CTX].state, _host(request), name, data,
                      content_type if content_type != "application/octet-stream" else
                      guessed or content_type, fields.get("folderPath") or "/", access)
    return json_response(meta, status=201)


@routes.get("/files/v3/files/{file_id}")
@api(scopes=FILES)
async def get_file(request: web.Request) -> web.Response:
    return json_response(_file(request).meta)


@routes.get("/files/v3/files/{file_id}/signed-url")
@api(scopes=FILES)
async def signed_url(request: web.Request) -> web.Response:
    stored = _file(request)
    meta = stored.meta
    expires = iso(request.app[CTX].state.now() + 3600)
    return json_response({"url": meta["url"], "expiresAt": expires, "name": meta["name"],
                          "extension": meta["extension"], "type": meta["type"],
                          "size": meta["size"]})


@routes.get("/_emulator/files/{file_id}/{name}")
async def download(request: web.Request) -> web.Response:
    stored = _file(request)
    return web.Response(body=stored.data, content_type=stored.content_type)
