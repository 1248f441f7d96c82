"""The database layer: connections, throw-away test servers and inspection of a live schema."""
