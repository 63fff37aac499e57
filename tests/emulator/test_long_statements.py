"""One huge statement does not stall other clients: its rewriting runs off the event loop, and another
client's `select 2` is answered within a second meanwhile."""

from __future__ import annotations

import threading
import time

from tests.emulator.wire_helpers import psycopg2_connect

NVL_CALLS = 100_000  # about 3 MB of SQL: seconds of rewriting


def test_another_client_is_served_while_a_huge_statement_is_rewritten(redshift_emulator):
    values = ", ".join(f"(nvl(null, {number}))" for number in range(NVL_CALLS))
    huge = f"select count(*), sum(x) from (values {values}) v(x)"
    result: dict = {}

    def run_huge() -> None:
        conn = psycopg2_connect(redshift_emulator)
        try:
            with conn.cursor() as cur:
                cur.execute(huge)
                result["row"] = cur.fetchone()
        except Exception as error:  # reported below, not lost in the thread
            result["error"] = error
        finally:
            conn.close()

    bystander = psycopg2_connect(redshift_emulator)
    worker = threading.Thread(target=run_huge)
    worker.start()
    slowest = 0.0
    samples = 0
    with bystander.cursor() as cur:
        while worker.is_alive():
            started = time.monotonic()
            cur.execute("select 2")
            assert cur.fetchone() == (2,)
            slowest = max(slowest, time.monotonic() - started)
            samples += 1
            time.sleep(0.05)
    worker.join()
    bystander.close()
    assert "error" not in result, result
    assert result["row"] == (NVL_CALLS, NVL_CALLS * (NVL_CALLS - 1) // 2)
    assert samples > 3, "the huge statement finished too fast to show anything: make it bigger"
    assert slowest < 1, f"another client's select 2 waited {slowest:.2f} s behind the huge statement"
