"""Long statements rewritten in a worker thread: the session holds the client meanwhile, and other
clients' statements go on being served by the event loop (the worker gives up the GIL every few
milliseconds, as every Python thread does).

One worker for every session: two threads rewriting at once would each take the GIL from the event loop
in turn, and each holds hundreds of megabytes of tokens at its peak. Afterwards the C heap is trimmed, so
those megabytes go back to the system rather than staying in the process's free lists.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from emulators.redshift.errors import RedshiftError

_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="long-rewrite")
_libc_name = ctypes.util.find_library("c")
_malloc_trim = getattr(ctypes.CDLL(_libc_name), "malloc_trim", None) if _libc_name else None  # glibc only


def _rewrite_then_trim(function: Callable, text: str | bytes):
    try:
        return function(text)
    finally:
        if _malloc_trim is not None:
            _malloc_trim(0)


class LongRewrites:
    """One session's long rewrite under way, and its answer until the held message takes it."""

    def __init__(self) -> None:
        self._text: str | bytes | None = None
        self._answer: object = None
        self._refusal: RedshiftError | None = None

    async def run(self, function: Callable, text: str | bytes, then: Callable[[], None]) -> None:
        try:
            loop = asyncio.get_running_loop()
            answer, refusal = await loop.run_in_executor(_worker, _rewrite_then_trim, function, text), None
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
