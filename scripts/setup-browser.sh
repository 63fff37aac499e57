#!/usr/bin/env bash
# Set up the browser the screenshot script drives (tools/screenshots.py, tests/test_screenshots.py): Debian's
# Chromium, which the playwright package of .venv/ launches by its path (Playwright's own browser download is
# not used), and Noto CJK, so that the Korean of Airflow's UI is drawn as Korean and not as empty boxes.
# As root with apt-get it installs both; elsewhere it says what to install.
# Idempotent: when both are here it returns at once.
set -euo pipefail

# fc-list into a variable: `fc-list | grep -q` fails under pipefail when grep stops reading early.
have_browser() { local fonts; fonts=$(fc-list 2>/dev/null) && [[ -x /usr/bin/chromium && $fonts == *"Noto Sans CJK"* ]]; }
if have_browser; then
  exit 0
fi
if command -v apt-get >/dev/null && [[ $(id -u) == 0 ]]; then
  echo "setup-browser: installing OS packages: chromium fonts-noto-cjk"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-noto-cjk >/dev/null
fi
if ! have_browser; then
  echo "setup-browser: the screenshots need Debian's chromium at /usr/bin/chromium and the Noto CJK fonts:" \
    "'sudo apt-get install chromium fonts-noto-cjk' (as root this script does it)" >&2
  exit 1
fi
echo "setup-browser: chromium and Noto CJK are ready"
