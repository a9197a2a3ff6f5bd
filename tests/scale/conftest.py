"""Scale-out fixtures: the standalone HubSpot emulator of the HubSpot tests."""

from tests.hubspot.conftest import hubspot  # noqa: F401
