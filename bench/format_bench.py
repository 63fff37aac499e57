"""What loading Parquet through the Redshift emulator costs, measured side by side in one run.

1. Load 1,000,000 nps rows (id INT, created_at TIMESTAMP, score SMALLINT): COPY ... FORMAT AS PARQUET from
   S3 through the emulator vs. the same rows as CSV with COPY FROM STDIN straight into the same PostgreSQL
   (target: Parquet through the emulator >= 0.8 of direct speed). For scale, the same CSV from S3 through
   the emulator.
2. The emulator's peak RSS (VmHWM) while it loads each format, each in an emulator process of its own
   (target: Parquet's no higher than CSV's). Each process first loads a small file of its format, so
   that the code it needs is loaded (pyarrow alone is tens of MB, paid once per process), then its peak is
   reset (/proc/PID/clear_refs) and measured over the large loads: the memory the data costs. The peak
   over the whole process life is printed too.

Run: .venv/bin/python -m bench.format_bench
It starts its own emulators with lab.processes, in a throwaway database, beside an S3 server of its own
(bench/scratch.py). LAB_POSTGRES_URL chooses the PostgreSQL server (default: local, postgres).
"""

from __future__ import annotations

import io
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from bench.emulator_bench import NPS_DDL, ROWS, fmt, nps_csv, peak_rss_mb, timed
from bench.scratch import AWS, ScratchLab, connect, scratch_lab
from lab import processes
from lab.config import DatabaseUrl

REPEATS = 3  # each side is measured this many times, alternately; the best time counts
SMALL_ROWS = 1_000  # the warm-up load
BUCKET = "format-bench"
CREDENTIALS = "credentials 'aws_access_key_id=bench;aws_secret_access_key=bench'"
# The table's own types: what UNLOAD ... FORMAT AS PARQUET writes, and what Redshift's COPY accepts.
NPS_SCHEMA = pa.schema([("id", pa.int32()), ("created_at", pa.timestamp("us")), ("score", pa.int16())])


def nps_parquet(csv: bytes) -> bytes:
    table = pa_csv.read_csv(
        io.BytesIO(csv),
        read_options=pa_csv.ReadOptions(column_names=NPS_SCHEMA.names),
        convert_options=pa_csv.ConvertOptions(column_types=NPS_SCHEMA),
    )
    out = io.BytesIO()
    pq.write_table(table, out)  # pyarrow's defaults, as pandas' to_parquet uses them
    return out.getvalue()


class EmulatorLoads:
    """One emulator process of its own, loading one S3 object again and again into its own table."""

    def __init__(self, upstream: DatabaseUrl, endpoint: str, log: Path, key: str, options: str) -> None:
        port = processes.free_port()
        self.process = processes.start_redshift_emulator(port, str(upstream), endpoint, log, env=AWS)
        self.table = f"nps_{key.replace('.', '_')}"
        self.key, self.options = key, options
        self.conn = connect(
            DatabaseUrl("postgresql", upstream.user, upstream.password, "127.0.0.1", port, upstream.database)
        )
        with self.conn.cursor() as cur:
            cur.execute(NPS_DDL.format(table=self.table))
        self.times: list[float] = []

    def load(self, key: str | None = None, rows: int = ROWS) -> float:
        with self.conn.cursor() as cur:
            cur.execute(f"TRUNCATE {self.table}")
            sql = f"COPY {self.table} FROM 's3://{BUCKET}/{key or self.key}' {CREDENTIALS} {self.options}"
            seconds = timed(lambda: cur.execute(sql))
            cur.execute(f"SELECT count(*) FROM {self.table}")
            assert cur.fetchone() == (rows,)
        return seconds

    def warm_up(self) -> None:
        """Load the small file, then reset the peak RSS."""
        self.load("small-" + self.key, SMALL_ROWS)
        self.warm_rss = peak_rss_mb(self.process.pid)[1]
        Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")  # 5: reset the peak RSS

    def stop(self) -> float:
        """Stop the process; its peak RSS since warm_up in MB."""
        peak = peak_rss_mb(self.process.pid)[0]
        self.conn.close()
        self.process.stop()
        return peak


def main() -> None:
    with scratch_lab("format_bench") as lab:
        emulators: list[EmulatorLoads] = []
        try:
            measure(lab, emulators)
        finally:
            for emulator in emulators:
                emulator.stop()


def measure(lab: ScratchLab, emulators: list[EmulatorLoads]) -> None:
    """Print the figures; ``emulators`` holds the emulator processes still running, for main to stop."""
    upstream, logs, endpoint, s3 = lab.upstream, lab.logs, lab.endpoint, lab.s3
    print(f"generating {ROWS:,} nps rows ...", flush=True)
    csv = nps_csv(ROWS)
    parquet = nps_parquet(csv)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="nps.csv", Body=csv)
    s3.put_object(Bucket=BUCKET, Key="nps.parquet", Body=parquet)
    small_csv = nps_csv(SMALL_ROWS)
    s3.put_object(Bucket=BUCKET, Key="small-nps.csv", Body=small_csv)
    s3.put_object(Bucket=BUCKET, Key="small-nps.parquet", Body=nps_parquet(small_csv))
    print(f"CSV {len(csv) / 1e6:.1f} MB, Parquet {len(parquet) / 1e6:.1f} MB in s3://{BUCKET}/", flush=True)

    direct = connect(upstream)
    with direct.cursor() as cur:
        cur.execute(NPS_DDL.format(table="nps_direct"))

    def load_direct() -> None:
        with direct.cursor() as cur:
            cur.execute("TRUNCATE nps_direct")
            cur.copy_expert("COPY nps_direct FROM STDIN WITH (FORMAT csv)", io.BytesIO(csv))

    via_csv = EmulatorLoads(upstream, endpoint, logs / "emulator-csv.log", "nps.csv", "csv")
    emulators.append(via_csv)
    via_parquet = EmulatorLoads(
        upstream, endpoint, logs / "emulator-parquet.log", "nps.parquet", "FORMAT AS PARQUET"
    )
    emulators.append(via_parquet)
    via_csv.warm_up()
    via_parquet.warm_up()
    direct_times = []
    for _ in range(REPEATS):
        direct_times.append(timed(load_direct))
        via_csv.times.append(via_csv.load())
        via_parquet.times.append(via_parquet.load())
    direct.close()
    emulators.clear()
    csv_peak, parquet_peak = via_csv.stop(), via_parquet.stop()

    best_direct, best_csv, best_parquet = min(direct_times), min(via_csv.times), min(via_parquet.times)
    print()
    for label, best, times in (
        ("CSV COPY FROM STDIN direct:       ", best_direct, direct_times),
        ("CSV COPY from S3 via emulator:    ", best_csv, via_csv.times),
        ("Parquet COPY from S3 via emulator:", best_parquet, via_parquet.times),
    ):
        print(f"load {ROWS:,} rows, {label} {best:6.2f} s  ({fmt(times)})")
    print(f"Parquet via emulator / CSV direct speed: {best_direct / best_parquet:.2f}  (target >= 0.80)")
    print(f"Parquet via emulator / CSV via emulator speed: {best_csv / best_parquet:.2f}  (no target)")
    print("emulator RSS, MB: after a 1,000-row warm-up load / peak during the 1M-row loads / increase")
    for label, loads, peak in (("CSV    ", via_csv, csv_peak), ("Parquet", via_parquet, parquet_peak)):
        print(f"  {label} {loads.warm_rss:6.1f} / {peak:6.1f} / {peak - loads.warm_rss:+6.1f}")
    print(
        f"data memory (peak increase), Parquet vs CSV: {parquet_peak - via_parquet.warm_rss:+.1f} MB vs"
        f" {csv_peak - via_csv.warm_rss:+.1f} MB  (target: Parquet <= CSV); code loaded for Parquet"
        f" (warm-up RSS difference, mostly pyarrow): {via_parquet.warm_rss - via_csv.warm_rss:+.1f} MB"
    )


if __name__ == "__main__":
    main()
