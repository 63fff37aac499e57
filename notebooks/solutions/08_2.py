unload_sql = """
UNLOAD ('SELECT id, created_at, score FROM raw_data.nps_ex08_unload ORDER BY id')
TO 's3://{bucket}/exercises/ex08_unload/nps_'
credentials '{credentials}'
FORMAT AS PARQUET
"""
