"""``python -m gateway.hubspot.emulator``: run the HubSpot emulator alone."""

from gateway.hubspot.emulator.app import main

main()
