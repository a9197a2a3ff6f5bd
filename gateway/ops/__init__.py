"""The operator surface outside the web UI: `doctor`, `status`, and systemd notification."""
