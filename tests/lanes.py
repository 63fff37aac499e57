"""A pytest-xdist scheduler for the slow tests: each test folder is one unit of work, run by one worker.

Each lab the slow tests start (the compose rehearsal, the notebooks' lab, Airflow on the tests' services,
`lab up` in a sandbox) is a session or module fixture of one folder's conftest, so a folder kept on one
worker starts its lab once. `lab test` loads this plugin for its second pytest step:

    pytest -p tests.lanes -n 2 --dist loadscope --no-loadscope-reorder -m slow

The folders go out in collection order, which tests/conftest.py sorts biggest lab first, so that the two
workers each start on a big one and share out the rest. (xdist's own `--dist loadgroup` would do it by marks,
but pytest-xdist 3.8 names its groups through `item._nodeid`, which pytest 9.2 no longer reads.)
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling


class FolderScheduling(LoadScopeScheduling):
    def _split_scope(self, nodeid: str) -> str:
        return nodeid.split("::", 1)[0].rsplit("/", 1)[0]


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadscope":
        return FolderScheduling(config, log)
    return None
