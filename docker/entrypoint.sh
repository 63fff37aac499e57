#!/usr/bin/env bash
# Run one `lab` command in the lab image as whatever user compose chose (AIRFLOW_UID, group 0).
set -euo pipefail

# A UID missing from /etc/passwd breaks getpass.getuser(), which Airflow's task runner calls. The Airflow
# image leaves /etc/passwd writable by group 0 for exactly this (its own entrypoint does the same).
if ! whoami >/dev/null 2>&1; then
    echo "lab:x:$(id -u):0:lab user:${HOME}:/bin/bash" >>/etc/passwd
fi

exec "$@"
