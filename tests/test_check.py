"""`lab check`: read-only checks that name the piece that does not answer, for both profiles."""

import json
import os
import subprocess
import sys
from pathlib import Path

from lab import processes
from lab.config import load_settings

LAB = str(Path(sys.executable).parent / "lab")
AWS_PROFILE = {
    "LAB_PROFILE": "aws",
    "LAB_REDSHIFT_URL": "postgresql://awsuser:Sup3r-Secret@my-cluster.abc123.us-east-1.redshift.amazonaws.com:5439/dev",
    "LAB_S3_BUCKET": "my-nps-bucket",
    "LAB_AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
    "LAB_AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI-example",
    "LAB_AWS_REGION": "eu-west-1",
}


def run_lab(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LAB_", "AWS_"))}
    return subprocess.run(
        [LAB, *args], env={**clean, **env}, capture_output=True, text=True, timeout=120, check=False
    )


def test_aws_profile_renders_connections_for_real_services():
    conns = {k: json.loads(v) for k, v in load_settings(AWS_PROFILE).airflow_connections().items()}
    aws = conns["AIRFLOW_CONN_AWS_CONN_ID"]
    assert "endpoint_url" not in aws["extra"]
    assert aws["extra"]["region"] == "eu-west-1"
    redshift = conns["AIRFLOW_CONN_REDSHIFT_DEV_DB"]
    assert redshift["extra"] == {"ssl": True}
    assert redshift["host"] == "my-cluster.abc123.us-east-1.redshift.amazonaws.com"


def test_aws_profile_with_a_role_makes_copy_use_the_role():
    settings = load_settings(
        {**AWS_PROFILE, "LAB_AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/RedshiftS3Read"}
    )
    aws = json.loads(settings.airflow_connections()["AIRFLOW_CONN_AWS_CONN_ID"])
    assert aws["extra"]["role_arn"] == "arn:aws:iam::123456789012:role/RedshiftS3Read"


def test_aws_profile_without_keys_leaves_credentials_to_boto3():
    settings = load_settings({k: v for k, v in AWS_PROFILE.items() if "KEY" not in k})
    aws = json.loads(settings.airflow_connections()["AIRFLOW_CONN_AWS_CONN_ID"])
    assert "login" not in aws and "password" not in aws


def test_aws_profile_names_what_is_missing():
    result = run_lab("check", "--profile", "aws", env={})
    assert result.returncode == 2
    assert "needs LAB_REDSHIFT_URL, LAB_S3_BUCKET" in result.stderr
    assert "Traceback" not in result.stderr


def test_check_against_unreachable_endpoints_fails_with_one_line_each():
    closed = processes.free_port()
    env = {
        **AWS_PROFILE,
        "LAB_MYSQL_URL": f"mysql://root:Sup3r-Secret@127.0.0.1:{closed}",
        "LAB_REDSHIFT_URL": f"postgresql://awsuser:Sup3r-Secret@127.0.0.1:{closed}/dev",
        "LAB_S3_ENDPOINT": f"http://127.0.0.1:{closed}",
    }
    result = run_lab("check", "--profile", "aws", env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [["FAIL", "mysql"], ["FAIL", "s3"], ["FAIL", "redshift"]]
    assert "LAB_MYSQL_URL" in lines[0] and "LAB_S3_ENDPOINT" in lines[1] and "LAB_REDSHIFT_URL" in lines[2]
    assert "Sup3r-Secret" not in result.stdout + result.stderr
    assert "wJalrXUtnFEMI" not in result.stdout + result.stderr
