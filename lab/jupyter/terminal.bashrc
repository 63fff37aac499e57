# The shell of JupyterLab's terminals in the lab (lab/jupyter/jupyter_server_config.py starts bash with it):
# your own ~/.bashrc first, then the lab's venv first on the PATH again, since a ~/.bashrc often sets PATH
# anew (pyenv, conda, cargo). So `lab ...` and `lab airflow ...` work here as the notebooks say.
if [ -f ~/.bashrc ]; then
  . ~/.bashrc
fi
export PATH="${LAB_VENV_BIN:?}:$PATH"
