"""Run CPU-heavy work (decoding pictures) in a real OS thread, whatever the async mode.

wsgi.py picks eventlet or gevent and patches the process. Under either, a green thread
that decodes an 8000×8000 picture would hold the single event loop and stall every other
request and socket. So the work goes to a native thread pool of the running hub: Pillow
releases the GIL while it decodes and resizes, and the loop keeps serving. Without
patching (threaded servers, tests, workers) the request already has its own OS thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _eventlet_patched() -> bool:
    """Tell whether eventlet has patched threads in this process."""
    if "eventlet" not in sys.modules:
        return False
    from eventlet import patcher

    return bool(patcher.is_monkey_patched("thread"))


def _gevent_patched() -> bool:
    """Tell whether gevent has patched threading in this process."""
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey

    return bool(monkey.is_module_patched("threading"))


def run_blocking(fn: Callable[..., T], *args: object) -> T:
    """Call `fn(*args)` where it cannot block the event loop, and return its result."""
    if _eventlet_patched():
        from eventlet import tpool

        return tpool.execute(fn, *args)
    if _gevent_patched():
        import gevent

        return gevent.get_hub().threadpool.apply(fn, args)
    return fn(*args)
