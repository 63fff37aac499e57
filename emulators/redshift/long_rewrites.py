"""Long statements rewritten in a worker thread: the session holds the client meanwhile, and other
clients' statements go on being served by the event loop (the worker gives up the GIL every few
milliseconds, as every Python thread does)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from emulators.redshift.errors import RedshiftError


class LongRewrites:
    """One session's long rewrite under way, and its answer until the held message takes it."""

    def __init__(self) -> None:
        self._text: str | bytes | None = None
        self._answer: object = None
        self._refusal: RedshiftError | None = None

    async def run(self, function: Callable, text: str | bytes, then: Callable[[], None]) -> None:
        try:
            answer, refusal = await asyncio.to_thread(function, text), None
        except RedshiftError as error:
            answer, refusal = None, error
        self._text, self._answer, self._refusal = text, answer, refusal
        then()

    def take(self, text: str | bytes) -> object | None:
        """The answer for ``text`` (raising its refusal), if the worker has finished it; else None."""
        if self._text is None or self._text != text:
            return None
        answer, refusal = self._answer, self._refusal
        self._text = self._answer = self._refusal = None
        if refusal is not None:
            raise refusal
        return answer
