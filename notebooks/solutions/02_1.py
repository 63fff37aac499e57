copy_sql = """
COPY raw_data.nps_ex02
FROM 's3://{bucket}/exercises/02/nps.csv'
credentials 'aws_access_key_id={aws_access_key_id};aws_secret_access_key={aws_secret_access_key}'
csv
"""
