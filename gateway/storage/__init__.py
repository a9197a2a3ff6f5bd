"""State: the SQLite database, its schema, queues and every SQL statement."""
