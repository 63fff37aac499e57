"""Seed speed: `lab seed`'s way of filling prod.nps against MySQL's own bulk path, side by side.

Seeds about 1,000,000 rows into a throwaway database (generation included, as `lab seed source` does),
then writes the very same rows to a CSV file and times `LOAD DATA LOCAL INFILE` of that file into a
fresh table. Target: the seed within 3x of LOAD DATA.

    .venv/bin/python bench/seed_bench.py [--rows 1000000]      # MySQL from LAB_MYSQL_URL
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import pymysql

import lab_settings
from lab.config import load_settings
from seed import nps, rows, source

START = date.fromisoformat(lab_settings.SEED_START_DATE)
DAYS = 100
TARGET_RATIO = 3.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="about how many rows (default 1,000,000)")
    args = parser.parse_args()
    mean_factor = sum(rows.WEEKDAY_FACTORS) / len(rows.WEEKDAY_FACTORS)
    rows_per_day = math.ceil(args.rows / DAYS / mean_factor)
    dates = nps.days(START, DAYS)

    url = load_settings().mysql.with_database(f"lab_bench_{uuid.uuid4().hex[:8]}")
    conn = source.connect(url, create_database=True)
    try:
        nps.recreate(conn)
        began = time.perf_counter()
        count = nps.fill(conn, dates, rows_per_day, seed=1)
        seed_seconds = time.perf_counter() - began

        with tempfile.TemporaryDirectory() as folder:
            csv = Path(folder) / "nps.csv"
            with open(csv, "w") as out:
                for day in dates:
                    responses = rows.responses(1, "nps", day, rows_per_day)
                    out.writelines(f"{created_at},{score}\n" for created_at, score in responses)
            nps.recreate(conn)
            load_seconds = load_data(url, csv)
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM nps")
            loaded = cur.fetchone()[0]
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE `{url.database}`")
        conn.close()

    if loaded != count:
        raise SystemExit(f"LOAD DATA loaded {loaded} rows, the seed {count}: not the same rows")
    ratio = seed_seconds / load_seconds
    print(f"rows                          {count:>12,}")
    print(f"lab seed (generate + INSERT)  {seed_seconds:>10.2f} s   {count / seed_seconds:>10,.0f} rows/s")
    print(f"LOAD DATA LOCAL INFILE        {load_seconds:>10.2f} s   {count / load_seconds:>10,.0f} rows/s")
    verdict = "met" if ratio <= TARGET_RATIO else "MISSED"
    print(f"ratio seed / LOAD DATA        {ratio:>10.2f}x  (target <= {TARGET_RATIO:.0f}x: {verdict})")


def load_data(url, csv: Path) -> float:
    """Seconds MySQL takes to LOAD DATA LOCAL INFILE ``csv`` into nps, committed."""
    conn = pymysql.connect(
        host=url.host,
        port=url.port,
        user=url.user,
        password=url.password,
        database=url.database,
        local_infile=True,
    )
    try:
        with conn.cursor() as cur:
            began = time.perf_counter()
            cur.execute(
                f"LOAD DATA LOCAL INFILE '{csv}' INTO TABLE nps FIELDS TERMINATED BY ',' (created_at, score)"
            )
            conn.commit()
            return time.perf_counter() - began
    finally:
        conn.close()


if __name__ == "__main__":
    main()
