"""SMTP replies the gateway sends, as named constants (RFC 5321 / RFC 3463 enhanced codes)."""

QUEUED = "250 2.0.0 queued as {id}"
RCPT_OK = "250 2.1.5 Recipient ok"
RELAY_DENIED = "550 5.7.1 Relaying denied: <{address}> is not a support address here"
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"
TEMP_FAILURE = "451 4.3.0 Temporary local problem, please try again later"
TOO_MANY_CONNECTIONS = "421 4.7.0 {hostname} Too many connections, try again later"
SHUTTING_DOWN = "421 4.3.2 {hostname} Service shutting down, try again later"
