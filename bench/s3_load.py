"""COPY from S3 through the emulator's loader vs. a direct `COPY FROM STDIN`, side by side.

Loads the same 1,000,000 CSV rows (4 S3 objects on a local moto server) into PostgreSQL twice per round:
once streamed from a local file with psycopg2's copy_expert (the baseline), once through S3Load with
the statement rewrite() produces. Each load runs in a fresh child process, so its peak RSS is its own.
Prints the speed ratio (target >= 0.8) and the loader's peak RSS (target < 120 MB).

    .venv/bin/python bench/s3_load.py [--rows N] [--rounds N]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import psycopg2

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("LAB_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TABLE = "bench_nps"
FILES = 4


def child(mode: str, source: str, endpoint: str) -> None:
    """One load in this process; prints {"seconds", "peak_rss_mb"}."""
    from emulators.redshift.rewrite import rewrite
    from emulators.redshift.s3_load import CHUNK_SIZE, S3Load

    conn = psycopg2.connect(POSTGRES_URL)
    with conn, conn.cursor() as cur:
        cur.execute(f"TRUNCATE {TABLE}")
    started = time.perf_counter()
    with conn, conn.cursor() as cur:
        if mode == "direct":
            for path in sorted(Path(source).iterdir()):
                with open(path, "rb") as file:
                    cur.copy_expert(f"COPY {TABLE} FROM STDIN WITH (FORMAT csv)", file, size=CHUNK_SIZE)
        else:
            result = rewrite(f"COPY {TABLE} FROM '{source}' CREDENTIALS 'aws_access_key_id=test;"
                             "aws_secret_access_key=test' csv")  # fmt: skip
            load = S3Load(result.actions[0], endpoint)
            load.open()
            chunks = load.chunks()
            reader = type("Reader", (), {"read": lambda self, size=-1: next(chunks, b"")})()
            cur.copy_expert(result.sql, reader, size=CHUNK_SIZE)
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: ru_maxrss survives exec and would count the parent's memory too.
    status = Path("/proc/self/status").read_text()
    peak_mb = int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak_mb}))


def run_child(mode: str, source: str, endpoint: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", mode, source, endpoint],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "SOURCE", "ENDPOINT"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    sys.path.insert(0, str(ROOT))
    from lab import processes

    port = processes.free_port()
    moto = processes.start_moto(port, ROOT / ".lab" / "bench" / "moto.log")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        s3 = boto3.client(
            "s3", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test",
            region_name="us-east-1",
        )  # fmt: skip
        s3.create_bucket(Bucket="bench")
        conn = psycopg2.connect(POSTGRES_URL)
        with conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {TABLE}")
            cur.execute(f"CREATE UNLOGGED TABLE {TABLE} (id int, created_at timestamp, score smallint)")
        with tempfile.TemporaryDirectory() as directory:
            per_file = args.rows // FILES
            for number in range(FILES):
                first = number * per_file
                body = b"".join(
                    b"%d,2024-01-%02d 12:34:56,%d\n" % (i, i % 28 + 1, i % 11)
                    for i in range(first, first + per_file)
                )
                (Path(directory) / f"nps-{number:03d}").write_bytes(body)
                s3.put_object(Bucket="bench", Key=f"nps/part-{number:03d}", Body=body)
            size_mb = sum(path.stat().st_size for path in Path(directory).iterdir()) / 1e6
            direct, loader = [], []
            for _round in range(args.rounds):
                direct.append(run_child("direct", directory, endpoint))
                loader.append(run_child("s3", "s3://bench/nps/part-", endpoint))
        best_direct = min(run["seconds"] for run in direct)
        best_loader = min(run["seconds"] for run in loader)
        print(f"rows {args.rows:,} in {FILES} objects, {size_mb:.1f} MB of CSV, best of {args.rounds}")
        print(f"direct COPY FROM STDIN (local file): {best_direct:.2f} s")
        print(f"S3Load -> COPY FROM STDIN (moto):    {best_loader:.2f} s")
        print(f"speed ratio (direct / loader):       {best_direct / best_loader:.2f}  (target >= 0.8)")
        print(f"loader peak RSS:                     {max(run['peak_rss_mb'] for run in loader):.0f} MB"
              "  (target < 120 MB)")  # fmt: skip
        print(f"direct peak RSS (baseline process):  {max(run['peak_rss_mb'] for run in direct):.0f} MB")
        with conn, conn.cursor() as cur:
            cur.execute(f"DROP TABLE {TABLE}")
        conn.close()
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
