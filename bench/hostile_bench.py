"""What the Redshift emulator survives, measured side by side in one run.

1. Connections held: CONNECTIONS clients logged in at once, each answering `select 1`.
2. The emulator's RSS before, during and after CONCURRENT_COPIES concurrent COPYs from S3.
3. Statements per second of one `select 1` client, quiet vs. under hostile load (4 clients sending broken
   messages, startup packets announcing 2 GB and a 3 MB statement, over and over), and its slowest answer.

Run: .venv/bin/python -m bench.hostile_bench
It starts its own emulator with lab.processes, in a throwaway database, beside an S3 server of its own
(bench/scratch.py). LAB_POSTGRES_URL chooses the PostgreSQL server (default: local, postgres).
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import psutil

from bench.scratch import ScratchLab, connect, emulator_on, scratch_lab
from lab import processes
from lab.config import DatabaseUrl

# Each client is one upstream connection: the shared PostgreSQL here allows 100 (max_connections) to all.
CONNECTIONS = 50
CONCURRENT_COPIES = 20
SECONDS = 4.0  # each side of the statements-per-second figure
PROTOCOL_3 = 196608
HUGE_STATEMENT = "select count(*) from (values {}) v(x)".format(
    ", ".join(f"(nvl(null, {number}))" for number in range(100_000))
)


def message(kind: bytes, payload: bytes = b"") -> bytes:
    return kind + struct.pack("!i", len(payload) + 4) + payload


def login(url: DatabaseUrl) -> socket.socket:
    params = f"user\0{url.user}\0database\0{url.database}\0\0".encode()
    sock = socket.create_connection((url.host, url.port), timeout=10)
    sock.sendall(struct.pack("!ii", 8 + len(params), PROTOCOL_3) + params)
    seen = b""
    while b"Z\0\0\0\5" not in seen:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError(f"the emulator refused a login: {seen[:200]!r}")
        seen += chunk
    return sock


def drain(sock: socket.socket) -> None:
    sock.settimeout(2)
    try:
        while sock.recv(65536):
            pass
    except (TimeoutError, ConnectionError):
        pass
    sock.close()


def hostile_attack(url: DatabaseUrl, attack_number: int) -> socket.socket:
    """One attack's socket, left for the caller to drain."""
    if attack_number == 3:
        sock = socket.create_connection((url.host, url.port))
        sock.sendall(struct.pack("!i", 2**31 - 1))
        return sock
    sock = login(url)
    sent = [
        message(b"Q", b"select 1"),  # no terminator
        b"H" + struct.pack("!i", 2**31 - 1),  # a length no message may have
        message(b"C"),  # Close without its fields
        b"",
        message(b"Q", HUGE_STATEMENT.encode() + b"\0"),
    ][attack_number]
    sock.sendall(sent)
    return sock


def attacker(url: DatabaseUrl, stop: threading.Event, done: list[int], offset: int) -> None:
    number = offset
    while not stop.is_set():
        with contextlib.suppress(OSError):
            drain(hostile_attack(url, number % 5))
        done.append(number)
        number += 1


def select_one_rate(url: DatabaseUrl, seconds: float) -> tuple[float, float]:
    """(statements per second, slowest answer in seconds) of one client asking `select 1`."""
    conn = connect(url)
    answers, slowest = 0, 0.0
    with conn.cursor() as cur:
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            started = time.monotonic()
            cur.execute("select 1")
            cur.fetchone()
            slowest = max(slowest, time.monotonic() - started)
            answers += 1
    conn.close()
    return answers / seconds, slowest


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 2**20


def main() -> None:
    with scratch_lab("hostile_bench") as lab, emulator_on(lab) as (emulator, port):
        measure(lab, emulator, port)


def measure(lab: ScratchLab, emulator: processes.ManagedProcess, port: int) -> None:
    upstream = lab.upstream
    url = DatabaseUrl("postgresql", upstream.user, upstream.password, "127.0.0.1", port, upstream.database)

    # 1. connections held at once
    started = time.monotonic()
    with ThreadPoolExecutor(20) as pool:
        held = list(pool.map(lambda _: connect(url), range(CONNECTIONS)))
    answered = 0
    for conn in held:
        with conn.cursor() as cur:
            cur.execute("select 1")
            answered += cur.fetchone() == (1,)
    print(
        f"connections held at once: {len(held)} logged in, {answered} answered select 1 "
        f"({time.monotonic() - started:.1f} s); emulator RSS {rss_mb(emulator.pid):.0f} MB",
        flush=True,
    )
    for conn in held:
        conn.close()

    # 2. RSS around concurrent COPYs
    lab.s3.create_bucket(Bucket="hostile-bench")
    lab.s3.put_object(Bucket="hostile-bench", Key="nps.csv", Body=b"1,2024-01-01 10:00:00,9\n" * 1000)

    def copy_once(number: int) -> None:
        conn = connect(url)
        with conn.cursor() as cur:
            cur.execute(f"CREATE TABLE nps_{number} (id int, created_at timestamp, score smallint)")
            cur.execute(
                f"COPY nps_{number} FROM 's3://hostile-bench/nps.csv' "
                "CREDENTIALS 'aws_access_key_id=bench;aws_secret_access_key=bench' CSV"
            )
            cur.execute(f"DROP TABLE nps_{number}")
        conn.close()

    copy_once(0)  # boto3 imported and one client made: the baseline is the emulator at work
    before = rss_mb(emulator.pid)
    peak = before
    with ThreadPoolExecutor(CONCURRENT_COPIES) as pool:
        loads = [pool.submit(copy_once, number) for number in range(1, CONCURRENT_COPIES + 1)]
        while not all(load.done() for load in loads):
            peak = max(peak, rss_mb(emulator.pid))
            time.sleep(0.05)
        for load in loads:
            load.result()
    time.sleep(0.5)
    after = rss_mb(emulator.pid)
    print(
        f"RSS around {CONCURRENT_COPIES} concurrent COPYs: before {before:.0f} MB, peak {peak:.0f} MB, "
        f"after {after:.0f} MB (+{after - before:.0f} MB)",
        flush=True,
    )

    # 3. statements per second, quiet vs. under hostile load
    quiet_rate, quiet_slowest = select_one_rate(url, SECONDS)
    stop, done = threading.Event(), []
    attackers = [threading.Thread(target=attacker, args=(url, stop, done, i)) for i in range(4)]
    for thread in attackers:
        thread.start()
    loaded_rate, loaded_slowest = select_one_rate(url, SECONDS)
    stop.set()
    for thread in attackers:
        thread.join()
    print(
        f"select 1 per second: quiet {quiet_rate:,.0f} (slowest {quiet_slowest * 1000:.0f} ms), "
        f"under hostile load {loaded_rate:,.0f} (slowest {loaded_slowest * 1000:.0f} ms, "
        f"{len(done)} attacks in {SECONDS:.0f} s), ratio {loaded_rate / quiet_rate:.2f}",
        flush=True,
    )
    time.sleep(1)
    print(f"emulator RSS after the hostile load: {rss_mb(emulator.pid):.0f} MB", flush=True)


if __name__ == "__main__":
    main()
