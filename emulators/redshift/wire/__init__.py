"""The emulator's wire layer: PostgreSQL v3 framing, limits, one Session per client, the TCP listener."""
