"""The one exception type the emulator reports to its client the way Redshift would."""

from __future__ import annotations


class RedshiftError(Exception):
    """An error to report to the client the way Redshift would.

    ``sqlstate`` is the five-character code of the ErrorResponse; Redshift answers most of its own
    failures (load errors, S3 errors) with XX000, so that is the default.
    """

    def __init__(
        self, message: str, sqlstate: str = "XX000", detail: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate
        self.detail = detail
        self.hint = hint

    def __repr__(self) -> str:
        return f"RedshiftError({self.message!r}, sqlstate={self.sqlstate!r})"
