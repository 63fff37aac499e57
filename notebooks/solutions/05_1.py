answer_sql = """
SELECT id, score, modified
FROM (
    SELECT *, ROW_NUMBER() OVER (PARTITION BY id ORDER BY modified DESC) AS row_num
    FROM raw_data.nps_changes_ex05
) AS ranked
WHERE row_num = 1 AND NOT deleted
ORDER BY id
"""
