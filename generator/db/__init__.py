"""The database layer: connections, throw-away test servers and inspection of a live schema."""

# The --server help, here so the CLI can build its parser without importing the server code (psycopg).
SERVER_HELP = ("PostgreSQL to run on: auto (default: the embedded one, or Debian's 15 with contrib when the "
               "extensions needed are only there), embedded (pgserver 16 + pgvector), pg15 (Debian 15 + contrib), "
               "or a superuser postgresql:// URL of a throw-away server")
