"""The lab's one configuration module: parsing, overrides, and the Airflow connections it renders."""

import json

import pytest

from lab.config import DatabaseUrl, load_settings, redact


def connections(environ):
    rendered = load_settings(environ).airflow_connections()
    return {name: json.loads(value) for name, value in rendered.items()}


def test_defaults_render_the_course_connections():
    conns = connections({})
    assert set(conns) == {
        "AIRFLOW_CONN_MYSQL_CONN_ID",
        "AIRFLOW_CONN_AWS_CONN_ID",
        "AIRFLOW_CONN_REDSHIFT_DEV_DB",
    }
    redshift = conns["AIRFLOW_CONN_REDSHIFT_DEV_DB"]
    assert (redshift["conn_type"], redshift["port"], redshift["schema"]) == ("redshift", 5439, "dev")
    assert redshift["extra"] == {"ssl": False}
    aws = conns["AIRFLOW_CONN_AWS_CONN_ID"]
    assert aws["extra"]["endpoint_url"] == "http://127.0.0.1:4566"
    assert aws["extra"]["region"] == "us-east-1"
    assert conns["AIRFLOW_CONN_MYSQL_CONN_ID"]["schema"] == "prod"


def test_environment_overrides_every_endpoint():
    conns = connections(
        {
            "LAB_MYSQL_URL": "mysql://lab:pw@db.local:3307",
            "LAB_SOURCE_DATABASE": "prod_copy",
            "LAB_REDSHIFT_URL": "postgresql://u:p@127.0.0.1:15439/warehouse",
            "LAB_S3_ENDPOINT": "http://127.0.0.1:9000",
        }
    )
    mysql = conns["AIRFLOW_CONN_MYSQL_CONN_ID"]
    assert (mysql["host"], mysql["port"], mysql["login"], mysql["password"], mysql["schema"]) == (
        "db.local",
        3307,
        "lab",
        "pw",
        "prod_copy",
    )
    assert conns["AIRFLOW_CONN_REDSHIFT_DEV_DB"]["port"] == 15439
    assert conns["AIRFLOW_CONN_AWS_CONN_ID"]["extra"]["endpoint_url"] == "http://127.0.0.1:9000"


def test_database_url_round_trips_and_redacts():
    url = DatabaseUrl.parse("postgresql://awsuser:s%40cret@127.0.0.1/dev", 5439)
    assert (url.user, url.password, url.port, url.database) == ("awsuser", "s@cret", 5439, "dev")
    assert str(url) == "postgresql://awsuser:s%40cret@127.0.0.1:5439/dev"
    assert "s%40cret" not in redact(str(url))


def test_unknown_profile_is_refused_by_name():
    with pytest.raises(ValueError, match="unknown LAB_PROFILE 'staging'"):
        load_settings({"LAB_PROFILE": "staging"})
