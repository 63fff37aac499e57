"""LocalStack ready hook: creates the lab's S3 bucket, on every start.

docker-compose.yml mounts this folder at /etc/localstack/init/ready.d/ (outside Docker:
$FILESYSTEM_ROOT/etc/localstack/init/ready.d/). LocalStack runs `.py` hooks with exec() inside its own
process once it serves requests, so boto3 and LocalStack's own config are importable; no awslocal needed.
LocalStack keeps S3 in memory, so a restart loses the bucket: this creates it again, and does nothing
when it is already there. A failure raises, which /_localstack/init/ready reports as state ERROR.

Settings (the container's environment): LAB_S3_BUCKET (default nps-lab), LAB_AWS_REGION or
AWS_DEFAULT_REGION (default us-east-1).
"""

import os

import boto3
from botocore.exceptions import ClientError
from localstack import config


def _endpoint() -> str:
    # The gateway's own address: it listens on 0.0.0.0:4566 in the image, elsewhere where GATEWAY_LISTEN says.
    listen = config.GATEWAY_LISTEN[0]
    host = "127.0.0.1" if listen.host in ("", "0.0.0.0", "::") else listen.host
    host = f"[{host}]" if ":" in host else host
    return f"{config.get_protocol()}://{host}:{listen.port}"


def create_bucket() -> None:
    bucket = os.environ.get("LAB_S3_BUCKET") or "nps-lab"
    region = os.environ.get("LAB_AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or "us-east-1"
    s3 = boto3.client(
        "s3",
        endpoint_url=_endpoint(),
        region_name=region,
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
    else:
        print(f"create-bucket: s3://{bucket} already exists", flush=True)
        return
    options = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **options)
    print(f"create-bucket: created s3://{bucket} ({region})", flush=True)


# LocalStack exec()s this file with empty globals (no __name__), so the call is unconditional.
create_bucket()
