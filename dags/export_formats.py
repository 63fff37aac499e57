"""Export_Formats (notebook 08): prod.nps exported by SqlToS3Operator in CSV, JSON and Parquet, untouched.

Not a course DAG: the course exports CSV only. One export per format, so that notebook 08 loads each object
with the COPY option that reads it and compares what arrives. Parquet twice: once with the types pandas reads
(64-bit integers, which an INTEGER or SMALLINT column refuses), once with the table's types through
`read_kwargs={"dtype": ...}` (the operator passes them to pandas.read_sql). Before writing, the operator's
`_fix_dtypes` turns a float column that holds NaN and only whole numbers (a smallint with a NULL, as pandas
reads it) into pandas' nullable `Int64`, and for Parquet an `object` column into `str`.
"""

import pendulum
from airflow.providers.amazon.aws.transfers.sql_to_s3 import SqlToS3Operator
from airflow.sdk import DAG

from lab_settings import AWS_CONN_ID, MYSQL_CONN_ID, S3_BUCKET, SEED_START_DATE, SOURCE_DATABASE

FORMATS_PREFIX = "formats/nps"
QUERY = f"SELECT id, created_at, score FROM {SOURCE_DATABASE}.nps ORDER BY id"
# Each export: the object's key suffix, the file format, and what the operator is given on top.
EXPORTS = {
    "csv": ("csv", {"df_kwargs": {"index": False, "header": False}}),
    # pandas' default JSON is one object of columns, dates in epoch ms: COPY wants one object a line.
    "json": ("json", {"df_kwargs": {"orient": "records", "lines": True, "date_format": "iso"}}),
    "parquet": ("parquet", {}),
    "typed.parquet": ("parquet", {"read_kwargs": {"dtype": {"id": "int32", "score": "Int16"}}}),
}

# [START export_formats]
with DAG(
    dag_id="Export_Formats",
    schedule=None,
    start_date=pendulum.parse(SEED_START_DATE),
    catchup=False,
    tags=["formats"],
) as dag:
    for suffix, (file_format, options) in EXPORTS.items():
        SqlToS3Operator(
            task_id=f"mysql_to_s3_nps_{suffix.replace('.', '_')}",
            query=QUERY,
            s3_bucket=S3_BUCKET,
            s3_key=f"{FORMATS_PREFIX}.{suffix}",
            sql_conn_id=MYSQL_CONN_ID,
            aws_conn_id=AWS_CONN_ID,
            verify=False,
            replace=True,
            file_format=file_format,
            **options,
        )
# [END export_formats]
