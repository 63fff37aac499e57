"""UNLOAD's writers: a query's rows to S3 as Redshift writes them, and the clean-up of uploads whose client
went away."""
