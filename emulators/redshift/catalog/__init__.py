"""The system tables the emulator keeps in each warehouse database (stl_load_errors, the query history)."""
