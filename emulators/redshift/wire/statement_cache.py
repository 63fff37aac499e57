"""``rewrite()``'s answers kept for the statements drivers send again and again, within a byte budget.

Short statements (nearly all of them) go through ``functools.lru_cache``: a C lookup, nothing more on
the fast path. Longer ones share one least-recently-used cache bounded by the bytes it holds, so a few
distinct 10 MB statements cannot keep hundreds of megabytes alive; one too big for a quarter of the
budget is rewritten every time, never kept.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections import OrderedDict

from emulators.redshift.errors import RedshiftError
from emulators.redshift.plan import Rewritten
from emulators.redshift.sql.rewrite import rewrite
from emulators.redshift.wire import messages

log = logging.getLogger(__name__)

SHORT_STATEMENT = 4096  # characters (or Query bytes) up to which lru_cache keeps a statement
SHORT_ENTRIES = 512
# The long statements' cache: what it may hold in all (texts in, texts out), and the largest it keeps.
BYTE_BUDGET = 16 << 20
LARGEST_KEPT = BYTE_BUDGET // 4
# Longer statements are rewritten in a worker thread, so that other clients are served meanwhile (a
# statement of 300,000 nvl() calls takes seconds to rewrite).
OFF_LOOP_STATEMENT = 64 * 1024


def _rewrite_or_refuse(sql: str) -> Rewritten:
    """``rewrite`` refuses input with a RedshiftError; anything else it raises is a bug, which the client
    sees as an error all the same."""
    try:
        return rewrite(sql)
    except RedshiftError:
        raise
    except Exception as error:
        # Neither the text nor the exception's message is logged: either may hold a secret.
        log.error("rewrite() failed with %s on a statement of %d characters", type(error).__name__, len(sql))
        reason = f"the Redshift emulator could not rewrite this statement ({type(error).__name__})"
        raise RedshiftError(reason) from error


def _query_answer(payload: bytes) -> tuple[Rewritten, bytes | None]:
    sql = messages.query_text(payload)
    rewritten = rewrite_text(sql)
    return rewritten, None if rewritten.sql == sql else messages.query(rewritten.sql)


class _ByteBoundedLru:
    """Least recently used entries dropped first, until the entries' sizes fit the budget. Locked: the
    session rewrites long statements in worker threads."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._entries: OrderedDict[object, tuple[object, int]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: object, value: object, size: int) -> None:
        if size > LARGEST_KEPT:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (value, size)
            self.held += size
            while self.held > self.budget:
                _, (_, dropped) = self._entries.popitem(last=False)
                self.held -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.held = 0


_long = _ByteBoundedLru(BYTE_BUDGET)
_short_text = functools.lru_cache(maxsize=SHORT_ENTRIES)(_rewrite_or_refuse)
_short_query = functools.lru_cache(maxsize=SHORT_ENTRIES // 2)(_query_answer)


def rewrite_text(sql: str) -> Rewritten:
    """``rewrite(sql)``, cached; a refusal (RedshiftError) is raised again each time."""
    if len(sql) <= SHORT_STATEMENT:
        return _short_text(sql)
    key = ("text", sql)
    if (hit := _long.get(key)) is None:
        hit = _rewrite_or_refuse(sql)
        _long.put(key, hit, len(sql) + rewritten_size(hit))
    return hit


def rewrite_query(payload: bytes) -> tuple[Rewritten, bytes | None]:
    """A Query message's rewriting, and the Query to send upstream in its place (None: the client's own).
    Cached on the message itself: a repeated one is neither decoded nor encoded again."""
    if len(payload) <= SHORT_STATEMENT:
        return _short_query(payload)
    key = ("query", payload)
    if (hit := _long.get(key)) is None:
        hit = _query_answer(payload)
        _long.put(key, hit, len(payload) + rewritten_size(hit[0]) + (len(hit[1]) if hit[1] else 0))
    return hit


def rewritten_size(rewritten: Rewritten) -> int:
    """Each character counted as a byte: the texts are nearly always ASCII."""
    loggable = 0 if rewritten.loggable_sql is rewritten.sql else len(rewritten.loggable_sql)
    return len(rewritten.sql) + loggable


def is_quick(text: str | bytes) -> bool:
    """Its rewriting takes no time worth moving off the event loop: short, or long and cached already."""
    if len(text) <= OFF_LOOP_STATEMENT:
        return True
    return _long.get(("query" if isinstance(text, bytes) else "text", text)) is not None


def cached_bytes() -> int:
    """What the long statements' cache holds (the short ones' hold at most SHORT_ENTRIES * 1.5 statements
    of SHORT_STATEMENT characters, and their rewritings: a few megabytes)."""
    return _long.held


def clear() -> None:
    _short_text.cache_clear()
    _short_query.cache_clear()
    _long.clear()
