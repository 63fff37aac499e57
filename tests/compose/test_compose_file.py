"""compose_file: docker-compose.yml read as `docker compose` reads it, checked without starting anything."""

from __future__ import annotations

import pytest

from tests.compose import compose_file


@pytest.mark.parametrize(
    ("text", "variables", "expected"),
    [
        ("${PORT:-8080}", {}, "8080"),
        ("${PORT:-8080}", {"PORT": ""}, "8080"),  # `:-` also replaces an empty value
        ("${PORT-8080}", {"PORT": ""}, ""),  # `-` replaces only an unset one
        ("${PORT:-8080}", {"PORT": "9090"}, "9090"),
        ("127.0.0.1:${PORT}:80", {"PORT": "81"}, "127.0.0.1:81:80"),
        ("${UNSET}", {}, ""),
        ("cost: $$5", {}, "cost: $5"),
    ],
)
def test_interpolation_follows_compose(text, variables, expected):
    assert compose_file.interpolate(text, variables) == expected


@pytest.mark.parametrize(("duration", "seconds"), [("30s", 30), ("1m30s", 90), ("500ms", 0.5), (5, 5)])
def test_durations(duration, seconds):
    assert compose_file.seconds(duration) == seconds


def test_a_duration_compose_would_refuse_is_refused():
    with pytest.raises(ValueError, match="not a compose duration"):
        compose_file.seconds("30 seconds")


def test_environment_wins_over_env_file_and_a_missing_optional_file_is_skipped(tmp_path):
    (tmp_path / ".env").write_text("LAB_S3_BUCKET=from-env-file\nLAB_MYSQL_URL=mysql://root@127.0.0.1:3306\n")
    services = compose_file.load(compose_file.variables(project=tmp_path), project=tmp_path)
    jupyter = services["jupyter"].environment
    assert jupyter["LAB_S3_BUCKET"] == "from-env-file"  # substituted into the file, as compose reads .env
    assert jupyter["LAB_MYSQL_URL"] == "mysql://root@mysql:3306"  # the file's environment wins
    (tmp_path / ".env").unlink()
    assert compose_file.load({}, project=tmp_path)["jupyter"].environment["LAB_S3_BUCKET"] == "nps-lab"


def test_the_lab_image_is_read_from_the_dockerfile():
    image = compose_file.lab_image()
    assert image.workdir == "/opt/lab"
    assert image.environment["LAB_STATE_DIR"] == "/opt/lab/.lab"
    assert image.entrypoint[-1] == "/opt/lab/docker/entrypoint.sh"
    assert "/opt/lab/.lab/airflow/logs" in image.directories


def test_extends_reads_the_base_service_with_its_paths_relative_to_its_own_file():
    """As compose resolves them: ./localstack in docker/s3-localstack.yml is docker/localstack here."""
    s3 = compose_file.load({"LAB_S3_SERVER": "localstack"})["s3"]
    assert s3.image.startswith("localstack/localstack:")
    assert [(mount.source, mount.target) for mount in s3.mounts] == [
        ("./docker/localstack", "/etc/localstack/init/ready.d")
    ]
    assert s3.ports and s3.restart == "unless-stopped", "the extending service's own keys are kept"


def test_an_s3_server_without_a_file_is_refused_with_the_file_it_wants():
    wanted = r"services\.s3\.extends: .*docker/s3-minio\.yml does not exist"
    with pytest.raises(FileNotFoundError, match=wanted):
        compose_file.load({"LAB_S3_SERVER": "minio"})
