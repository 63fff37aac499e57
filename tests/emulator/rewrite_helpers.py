"""What the rewriting tests compare: the statement PostgreSQL runs, without the comment that carries a CREATE
TABLE's Redshift attributes to the catalog (emulators/redshift/sql/table_attributes.py, tested on its own)."""

from __future__ import annotations

import re

_DECLARED = re.compile(r" /\* redshift_emulator\.table_attributes \{.*?\} \*/")


def without_declared(sql: str) -> str:
    return _DECLARED.sub("", sql)
