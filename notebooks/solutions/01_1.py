redshift_sql = """
SELECT 100.0 * (SUM(CASE WHEN score >= 9 THEN 1 ELSE 0 END) - SUM(CASE WHEN score <= 6 THEN 1 ELSE 0 END))
       / COUNT(score) AS nps
FROM raw_data.nps_ex01
"""
