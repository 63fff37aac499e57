"""JupyterLab as the lab serves it: `lab` works in its own terminal, as the notebooks tell the learner to type
it, and the first visit asks nothing about "official Jupyter news"."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from tornado.websocket import websocket_connect

from lab.config import load_settings

pytestmark = pytest.mark.slow
NOTIFICATION_PLUGIN = "@jupyterlab/apputils-extension:notification"


def jupyter_request(settings, method: str, path: str) -> dict:
    headers = {"Authorization": f"token {settings.jupyter_token}"}
    request = urllib.request.Request(settings.jupyter_url + path, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


async def typed_in_a_terminal(settings, line: str, until: str, timeout: float = 60) -> str:
    """Open a JupyterLab terminal, type ``line``, and read what it prints until ``until`` shows."""
    name = jupyter_request(settings, "POST", "/api/terminals")["name"]
    ws_url = settings.jupyter_url.replace("http", "ws", 1) + f"/terminals/websocket/{name}"
    connection = await websocket_connect(f"{ws_url}?token={settings.jupyter_token}")
    try:
        await connection.write_message(json.dumps(["stdin", line + "\r"]))
        seen = ""

        async def read() -> str:
            nonlocal seen
            while until not in seen:
                message = await connection.read_message()
                if message is None:
                    break
                kind, *payload = json.loads(message)
                if kind == "stdout":
                    seen += payload[0]
            return seen

        return await asyncio.wait_for(read(), timeout)
    finally:
        connection.close()
        jupyter_request(settings, "DELETE", f"/api/terminals/{name}")


def test_lab_answers_in_jupyterlabs_own_terminal(notebook_lab):
    settings = load_settings(notebook_lab)
    # The quotes keep the typed line (which the terminal echoes) from holding what the command prints.
    printed = asyncio.run(typed_in_a_terminal(settings, 'lab status; echo "[$?]""done"', "]done"))
    assert "[0]done" in printed and "airflow" in printed, printed[-2000:]


def test_the_first_visit_asks_nothing_about_jupyter_news(notebook_lab):
    settings = load_settings(notebook_lab)
    plugin = jupyter_request(settings, "GET", f"/lab/api/settings/{NOTIFICATION_PLUGIN}")
    properties = plugin["schema"]["properties"]
    # The lab's overrides become the defaults (JupyterLab's own: "none", ask on the first visit).
    assert properties["fetchNews"]["default"] == "false", properties["fetchNews"]
    assert properties["checkForUpdates"]["default"] is False
