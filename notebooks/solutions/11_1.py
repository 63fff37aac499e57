s3_key = "daily/nps/{{ ds }}.csv"
