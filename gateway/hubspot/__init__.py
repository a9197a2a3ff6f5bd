"""HubSpot integration: client library, handoff saga, webhooks and a local emulator."""
