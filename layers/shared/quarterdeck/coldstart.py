"""The cyclic garbage collector pauses while the function starts, and during its first request.

A cold start allocates some 85,000 objects that live as long as the container: modules,
classes, routes, boto3's service models. With the collector on, about 180 collections walk
them again and again and free next to nothing (35-55 ms of a 300 ms cold start on the bench
machine). So every function's handler module imports this module first (collection pauses),
calls `loaded()` once its modules are in, and serves the first event inside `first_request()`. Each time collection
resumes, what is alive is frozen first (`gc.freeze()`: moved to the permanent generation, which
later collections skip) - those objects live as long as the process anyway. Reference counting
frees everything else as usual; both pauses are bounded (the import, one request).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_resume = gc.isenabled()  # a process that had turned collection off keeps it off
gc.disable()
_first = [True]


def _freeze_and_resume(resume: bool) -> None:
    gc.freeze()
    if resume:
        gc.enable()


def loaded() -> None:
    """The handler module is imported: freeze what it built and resume collection."""
    _freeze_and_resume(_resume)


@contextmanager
def first_request() -> Iterator[None]:
    """Around every request: the first one (which loads boto3 and builds its clients) runs
    with collection paused, then what it built is frozen too. Later requests: nothing."""
    if not _first[0]:
        yield
        return
    _first[0] = False
    resume = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        _freeze_and_resume(resume)
