"""UNLOADs whose client went away: aborted in a worker thread, outside the session's own tasks (which are
cancelled with it), so that their multipart upload is aborted and their finished files deleted.

r_UNLOAD.html: an UNLOAD that fails leaves no files behind; a client that disconnects fails its statement.
"""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)

# The cleanups under way: asyncio keeps only weak references to tasks.
_running: set[asyncio.Task] = set()


def abandon(unload) -> asyncio.Task:
    """Abort ``unload`` (an S3Unload) once the write in progress, if any, is over."""
    task = asyncio.get_running_loop().create_task(_abort(unload))
    _running.add(task)
    task.add_done_callback(_running.discard)
    return task


async def _abort(unload) -> None:
    try:
        await asyncio.to_thread(unload.abort)
    except Exception as error:  # logged by type only: a boto3 message may hold the URL's keys
        log.error(
            "could not clean up an abandoned UNLOAD to %s: %s", unload.spec.s3_url, type(error).__name__
        )
    else:
        log.info("aborted an UNLOAD whose client went away: %s", unload.spec.s3_url)


async def wait_for_all() -> None:
    """At shutdown: let the cleanups under way finish."""
    if _running:
        await asyncio.wait(list(_running))
