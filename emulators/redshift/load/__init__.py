"""COPY's readers: its parameters parsed into plans, S3 objects streamed, CSV, JSON and Parquet records
converted by Redshift's rules."""
