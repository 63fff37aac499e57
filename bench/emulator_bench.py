"""How much the Redshift emulator costs, measured side by side in one run.

1. Load 1,000,000 nps rows: COPY from S3 through the emulator vs. the same CSV with COPY FROM STDIN
   straight into the same PostgreSQL (target: emulator >= 0.8 of direct speed).
2. The emulator's peak RSS (VmHWM) over its life, which includes that load (target: < 120 MB).
3. SELECT 1 round trips through the emulator vs. direct (target: throughput ratio >= 0.7), and the
   emulator's CPU time per round trip, in Python and in the kernel. For scale, the same through socat (a
   byte relay written in C that looks at nothing), when socat is installed: what any proxy in a process of
   its own costs on this machine.
4. For information, the same load with MAXERROR, which makes the emulator load row by row (conversion.py).

Run: .venv/bin/python -m bench.emulator_bench
It starts its own emulator with lab.processes, in a throwaway database, beside an S3 server of its own
(bench/scratch.py). LAB_POSTGRES_URL chooses the PostgreSQL server (default: local, postgres).
"""

from __future__ import annotations

import io
import random
import shutil
import time
from pathlib import Path

import psutil

from bench.scratch import ScratchLab, connect, emulator_on, scratch_lab
from lab import processes
from lab.config import DatabaseUrl

ROWS = 1_000_000
ROUND_TRIPS = 5_000
REPEATS = 2  # each side is measured this many times, alternately; the best time counts
NPS_DDL = "CREATE TABLE {table} (id INT NOT NULL primary key, created_at timestamp, score smallint)"


def nps_csv(rows: int) -> bytes:
    rng = random.Random(7)
    start = 1_704_067_200  # 2024-01-01
    lines = (
        f"{n},{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(start + n * 17))},{rng.randrange(11)}\n"
        for n in range(1, rows + 1)
    )
    return "".join(lines).encode()


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def round_trips_per_second(url: DatabaseUrl) -> float:
    conn = connect(url)
    with conn.cursor() as cur:
        cur.execute("SELECT 1")
        seconds = timed(lambda: [cur.execute("SELECT 1") or cur.fetchall() for _ in range(ROUND_TRIPS)])
    conn.close()
    return ROUND_TRIPS / seconds


def start_socat_relay(
    upstream: DatabaseUrl, log_path: Path
) -> tuple[processes.ManagedProcess, DatabaseUrl] | None:
    if shutil.which("socat") is None:
        return None
    port = processes.free_port()
    command = [
        "socat",
        f"TCP-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,nodelay",
        f"TCP:{upstream.host}:{upstream.port},nodelay",
    ]
    relay = processes.start("socat", command, log_path)
    relay.wait_until(lambda: processes.port_answers("127.0.0.1", port), timeout=10)
    return relay, DatabaseUrl(
        "postgresql", upstream.user, upstream.password, "127.0.0.1", port, upstream.database
    )


def peak_rss_mb(pid: int) -> tuple[float, float]:
    """(VmHWM, VmRSS) of ``pid`` in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line
    )
    return int(fields["VmHWM"].split()[0]) / 1024, int(fields["VmRSS"].split()[0]) / 1024


def main() -> None:
    with scratch_lab("emulator_bench") as lab, emulator_on(lab) as (emulator, emulator_port):
        measure(lab, emulator, emulator_port)


def measure(lab: ScratchLab, emulator: processes.ManagedProcess, emulator_port: int) -> None:
    """Print the figures, for ``emulator`` listening on ``emulator_port``."""
    upstream, logs, s3 = lab.upstream, lab.logs, lab.s3
    through_emulator = DatabaseUrl(
        "postgresql", upstream.user, upstream.password, "127.0.0.1", emulator_port, upstream.database
    )

    print(f"generating {ROWS:,} nps rows ...", flush=True)
    data = nps_csv(ROWS)
    s3.create_bucket(Bucket="emulator-bench")
    s3.put_object(Bucket="emulator-bench", Key="nps.csv", Body=data)
    print(f"CSV: {len(data) / 1e6:.1f} MB in s3://emulator-bench/nps.csv", flush=True)

    direct_conn, emulator_conn = connect(upstream), connect(through_emulator)
    with direct_conn.cursor() as cur:
        cur.execute(NPS_DDL.format(table="nps_direct"))
        cur.execute(NPS_DDL.format(table="nps_emulator"))
    rss_before = peak_rss_mb(emulator.pid)[1]

    def load_direct() -> None:
        with direct_conn.cursor() as cur:
            cur.execute("TRUNCATE nps_direct")
            cur.copy_expert("COPY nps_direct FROM STDIN WITH (FORMAT csv)", io.BytesIO(data))

    def load_through_emulator(options: str = "csv") -> None:
        with emulator_conn.cursor() as cur:
            cur.execute("TRUNCATE nps_emulator")
            cur.execute(
                "COPY nps_emulator FROM 's3://emulator-bench/nps.csv'"
                f" credentials 'aws_access_key_id=bench;aws_secret_access_key=bench' {options}"
            )

    direct_times, emulator_times, row_by_row_times = [], [], []
    for _ in range(REPEATS):
        direct_times.append(timed(load_direct))
        emulator_times.append(timed(load_through_emulator))
    row_by_row_times.append(timed(lambda: load_through_emulator("csv maxerror 10")))
    with direct_conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM nps_direct), (SELECT count(*) FROM nps_emulator)")
        counts = cur.fetchone()
    assert counts == (ROWS, ROWS), f"row counts after the loads: {counts}"
    peak, _ = peak_rss_mb(emulator.pid)
    direct_conn.close()
    emulator_conn.close()

    relay = start_socat_relay(upstream, logs / "socat.log")
    direct_rate, emulator_rate, relay_rate = [], [], []
    emulator_cpu = psutil.Process(emulator.pid)
    cpu_before = emulator_cpu.cpu_times()
    try:
        for _ in range(REPEATS):
            direct_rate.append(round_trips_per_second(upstream))
            emulator_rate.append(round_trips_per_second(through_emulator))
            if relay is not None:
                relay_rate.append(round_trips_per_second(relay[1]))
    finally:
        if relay is not None:
            relay[0].stop()
    cpu_after = emulator_cpu.cpu_times()
    # In µs per round trip through the emulator (the direct and socat runs in between cost it nothing).
    user_us = (cpu_after.user - cpu_before.user) * 1e6 / (ROUND_TRIPS * REPEATS)
    system_us = (cpu_after.system - cpu_before.system) * 1e6 / (ROUND_TRIPS * REPEATS)

    best_direct, best_emulator = min(direct_times), min(emulator_times)
    rate_direct, rate_emulator = max(direct_rate), max(emulator_rate)
    print()
    print(f"load {ROWS:,} rows, COPY FROM STDIN direct:     {best_direct:6.2f} s  ({fmt(direct_times)})")
    print(f"load {ROWS:,} rows, COPY from S3 via emulator: {best_emulator:6.2f} s  ({fmt(emulator_times)})")
    print(f"load speed ratio (direct s / emulator s): {best_direct / best_emulator:.2f}  (target >= 0.80)")
    print(f"emulator RSS before the loads {rss_before:.1f} MB, peak VmHWM {peak:.1f} MB  (target < 120 MB)")
    print(f"SELECT 1 round trips direct:       {rate_direct:7.0f}/s  ({fmt(direct_rate, 0)})")
    print(f"SELECT 1 round trips via emulator: {rate_emulator:7.0f}/s  ({fmt(emulator_rate, 0)})")
    print(f"round-trip throughput ratio: {rate_emulator / rate_direct:.2f}  (target >= 0.70)")
    print(
        f"emulator CPU per round trip: {user_us:.0f} µs in Python, {system_us:.0f} µs in the kernel"
        f" (its reads, writes and waits); a direct round trip takes {1e6 / rate_direct:.0f} µs in all"
    )
    if relay_rate:
        rate_relay = max(relay_rate)
        print(f"SELECT 1 round trips via socat:    {rate_relay:7.0f}/s  ({fmt(relay_rate, 0)})")
        print(f"socat relay ratio (any proxy process's floor here): {rate_relay / rate_direct:.2f}")
    else:
        print("socat is not installed: no relay reference")
    print(
        f"load {ROWS:,} rows via emulator with MAXERROR (row by row): {min(row_by_row_times):6.2f} s"
        f" = {best_direct / min(row_by_row_times):.2f} of direct (no target)"
    )


def fmt(values: list[float], digits: int = 2) -> str:
    return ", ".join(f"{value:.{digits}f}" for value in values)


if __name__ == "__main__":
    main()
