"""The lab's S3 bucket: what is in it, and one object's text."""

from __future__ import annotations

import pandas as pd

from lab.notebook.peers import settings


def objects(prefix: str = "") -> pd.DataFrame:
    """The bucket's objects under ``prefix``: key, size in bytes, last modified."""
    lab = settings()
    listed = []
    for page in lab.s3_client().get_paginator("list_objects_v2").paginate(Bucket=lab.bucket, Prefix=prefix):
        listed += [(item["Key"], item["Size"], item["LastModified"]) for item in page.get("Contents", [])]
    return pd.DataFrame(listed, columns=["key", "size", "last_modified"])


def object_text(key: str) -> str:
    lab = settings()
    return lab.s3_client().get_object(Bucket=lab.bucket, Key=key)["Body"].read().decode()
