"""Query ids: the history's order, even when several emulators write to one database."""

import time

from emulators.redshift.catalog.system_tables import QueryIds


def test_query_ids_grow_with_the_clock_across_emulators():
    started_first, started_later = QueryIds(), QueryIds()
    ids = [started_first.next() for _ in range(1000)]
    assert ids == sorted(set(ids)), "ids of one emulator are unique and increasing"

    mark = started_later.next()  # e.g. a notebook's "newest query id so far", written by another emulator
    time.sleep(0.001)
    assert started_first.next() > mark, "a statement started after the mark must get a larger id"
