upsert_sql = """
DELETE FROM raw_data.nps_ex03 USING raw_data.nps_ex03_batch WHERE nps_ex03.id = nps_ex03_batch.id;
INSERT INTO raw_data.nps_ex03 SELECT * FROM raw_data.nps_ex03_batch;
"""
