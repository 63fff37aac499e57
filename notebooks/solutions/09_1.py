catchup_days = ["2024-01-05", "2024-01-06", "2024-01-07"]
no_catchup_runs = 1
