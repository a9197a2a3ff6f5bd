"""HubSpot emulator: a stand-in for HubSpot's API, for tests, the bench and local runs.

A separate room from the client library in ``gateway.hubspot``: it imports nothing from
``gateway`` except its own modules and ``gateway.hubspot.signatures``. Run it alone with
``python -m gateway.hubspot.emulator --listen 127.0.0.1:8026``.
"""

from gateway.hubspot.emulator.app import (
    FULL_SCOPES,
    Call,
    Delivery,
    HubSpotEmulator,
    build_app,
    main,
    serve,
)

__all__ = ["FULL_SCOPES", "Call", "Delivery", "HubSpotEmulator", "build_app", "main", "serve"]
