"""Reaching the lab's servers from a notebook: its settings, a wait while one starts, rows as DataFrames."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import pandas as pd

from lab.bilingual import say
from lab.config import STATE_DIR, Settings, load_settings

POLL_SECONDS = 1.0
PEER_WAIT = 180  # seconds a notebook waits for a server that does not answer yet: it may be starting


def settings() -> Settings:
    return load_settings()


class PeerUnavailable(ConnectionError):
    """A server of the lab did not answer within PEER_WAIT seconds; the message says where to look."""


def when_up(
    service: str, address: str, attempt: Callable[[], object], unreachable: Callable[[Exception], bool]
):
    """``attempt()``, tried again while ``service`` at ``address`` does not answer, PEER_WAIT seconds at most.

    Right after `docker compose up` (or a restart of one container) a notebook may run before a server it
    needs has started: it waits, says so once, and then names the command that shows the server's log.
    """
    deadline = time.monotonic() + PEER_WAIT
    waiting = False
    while True:
        try:
            return attempt()
        except Exception as error:
            if not unreachable(error):
                raise
            if time.monotonic() > deadline:
                lab = settings()
                raise PeerUnavailable(
                    say(
                        f"{service}가 {address}에서 {PEER_WAIT}초 동안 응답하지 않습니다({error})."
                        f" {_log_hint_ko(lab, service)}.",
                        f"{service} does not answer at {address} after {PEER_WAIT} s ({error});"
                        f" {lab.log_hint(service)}",
                    )
                ) from None
            if not waiting:
                waiting_ko = f"{service}를 기다립니다: {address}에서 아직 응답하지 않습니다."
                print(
                    say(waiting_ko, f"waiting for {service} at {address}: it does not answer yet"), flush=True
                )
                waiting = True
            time.sleep(POLL_SECONDS)


def _log_hint_ko(lab: Settings, service: str) -> str:
    """Where the log of ``service`` is, in Korean (``Settings.log_hint`` says it in English)."""
    if lab.runtime == "compose":
        return f"로컬 PC(호스트)에서 `docker compose logs {service}`로 로그를 볼 수 있습니다"
    return f"`lab up`이 시작한 프로세스의 로그는 {STATE_DIR / 'logs'}에 있습니다"


def frame(cursor, rows: Sequence[Sequence]) -> pd.DataFrame:
    columns = [column[0] for column in cursor.description or ()]
    return pd.DataFrame([tuple(row) for row in rows], columns=columns)
