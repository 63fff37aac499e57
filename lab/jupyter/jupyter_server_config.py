"""The lab's JupyterLab server settings: `lab serve jupyter` passes this file with --config."""

import shutil
from pathlib import Path

# JupyterLab's terminals: bash with the lab's rc file, which puts the lab's venv back first on the PATH.
if shutil.which("bash"):
    rcfile = Path(__file__).with_name("terminal.bashrc")
    c.ServerApp.terminado_settings = {"shell_command": ["bash", "--rcfile", str(rcfile), "-i"]}  # noqa: F821
