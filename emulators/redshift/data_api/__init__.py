"""The Redshift Data API (service `redshift-data`, AWS JSON 1.1) served beside the emulator's wire port.

protocol.py: the wire format and error shapes; statements.py: the statement store, run through the
emulator's own PostgreSQL endpoint; server.py: the HTTP listener and the operations.
"""
