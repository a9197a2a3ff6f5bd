"""opencx-gateway: an AI-first email support channel with handoff to HubSpot."""
