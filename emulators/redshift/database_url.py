"""A database address, ``scheme://user:password@host:port/database``: the emulator's upstream PostgreSQL and
the lab's own servers are all given this way.

The emulator's own type, so that the emulator stands alone (`redshift-emulator` needs nothing of the lab);
the lab's configuration (lab.config) uses the same one.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit


@dataclass(frozen=True)
class DatabaseUrl:
    """A parsed ``scheme://user:password@host:port/database`` URL."""

    scheme: str
    user: str
    password: str
    host: str
    port: int
    database: str

    @classmethod
    def parse(cls, url: str, default_port: int) -> DatabaseUrl:
        parts = urlsplit(url)
        if not parts.hostname:
            raise ValueError(f"not a database URL (no host): {redact(url)}")
        return cls(
            scheme=parts.scheme,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            host=parts.hostname,
            port=parts.port or default_port,
            database=parts.path.lstrip("/"),
        )

    def with_database(self, database: str) -> DatabaseUrl:
        return DatabaseUrl(self.scheme, self.user, self.password, self.host, self.port, database)

    def __str__(self) -> str:
        login = quote(self.user, safe="")
        if self.password:
            login += ":" + quote(self.password, safe="")
        return f"{self.scheme}://{login}@{self.host}:{self.port}/{self.database}"


def redact(url: str) -> str:
    """The URL with its password replaced, fit for a log line or an error message."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)
