answer_sql = """
SELECT DATE_TRUNC('week', created_at) AS week,
  ROUND(SUM(CASE WHEN score >= 9 THEN 1 WHEN score <= 6 THEN -1 END)::float*100/COUNT(score), 2) AS nps
FROM raw_data.nps_ex07
GROUP BY 1
ORDER BY 1
"""
