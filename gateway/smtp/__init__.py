"""SMTP ingress and egress: the wire (server, handler, relay) and pure inbound-mail functions."""
