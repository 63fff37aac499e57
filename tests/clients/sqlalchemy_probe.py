"""Run by tests/clients/test_sqlalchemy.py in .venv-clients: what a learner does with pandas and SQLAlchemy's
Redshift dialect (sqlalchemy-redshift) against the emulator, printed as JSON for the test to check.

Arguments: the SQLAlchemy URL, the schema to work in, the driver's connect_args as JSON.
"""

from __future__ import annotations

import json
import sys

import pandas as pd
import sqlalchemy as sa


def records(frame: pd.DataFrame) -> list[dict]:
    """The rows, a missing value as None (pandas reads a NULL string as NaN)."""
    return [
        {key: None if pd.isna(value) else value for key, value in row.items()}
        for row in frame.to_dict("records")
    ]


def main() -> None:
    url, schema, connect_args = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    engine = sa.create_engine(url, connect_args=connect_args)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            sa.text(
                f"CREATE TABLE {schema}.nps (id INT ENCODE az64 NOT NULL PRIMARY KEY, score SMALLINT,"
                " note VARCHAR(20) ENCODE zstd) DISTSTYLE KEY DISTKEY (id) SORTKEY (score)"
            )
        )
        conn.execute(sa.text(f"INSERT INTO {schema}.nps VALUES (1, 9, 'a'), (2, 3, NULL)"))
    inspector = sa.inspect(engine)
    columns = [
        {"name": column["name"], "type": str(column["type"]), "nullable": column["nullable"],
         "info": {key: value for key, value in column.get("info", {}).items()}}
        for column in inspector.get_columns("nps", schema=schema)
    ]  # fmt: skip
    query = pd.read_sql(f"SELECT id, score FROM {schema}.nps ORDER BY id", engine)
    table = pd.read_sql_table("nps", engine, schema=schema).sort_values("id")
    pd.DataFrame({"day": ["2024-01-01", "2024-01-02"], "nps": [10.5, -3.0]}).to_sql(
        "daily_nps", engine, schema=schema, index=False
    )
    written = pd.read_sql(f"SELECT day, nps FROM {schema}.daily_nps ORDER BY day", engine)
    result = {
        "table_names": sorted(inspector.get_table_names(schema=schema)),
        "columns": columns,
        "options": inspector.get_table_options("nps", schema=schema),
        "pk": inspector.get_pk_constraint("nps", schema=schema)["constrained_columns"],
        "read_sql": records(query),
        "read_sql_table": records(table[["id", "score", "note"]]),
        "to_sql": records(written),
        "has_table": inspector.has_table("daily_nps", schema=schema),
    }
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
