"""The operator surface over HTTP: web UI pages, JSON API, health, metrics, HubSpot webhooks."""
