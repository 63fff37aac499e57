"""Redshift SQL made into PostgreSQL's: tokens rewritten statement by statement, and the functions catalogue
installed in each database (the .sql files here)."""
