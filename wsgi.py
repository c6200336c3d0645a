"""The web entry point: patch for the async mode first, then build the app.

`python wsgi.py` serves Encore with Socket.IO on $HOST:$PORT (default 127.0.0.1:5000).
The async mode comes from ENCORE_ASYNC_MODE: eventlet (default) or gevent.
"""

import os
import warnings

ASYNC_MODE = os.environ.get("ENCORE_ASYNC_MODE", "eventlet")

# Patching must happen before anything imports socket, threading or the database driver.
if ASYNC_MODE == "eventlet":
    # Eventlet announces its bug-fix-only status on import; docs/deploy.md covers gevent.
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    import eventlet

    eventlet.monkey_patch()
    from psycogreen.eventlet import patch_psycopg

    patch_psycopg()
elif ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()

import gc  # noqa: E402

from app import create_app  # noqa: E402
from app.http_server import serve  # noqa: E402

app = create_app()

# Without Redis there is no Celery worker, so this process applies show deadlines itself.
from app.services.deadlines import start_sweeper  # noqa: E402

start_sweeper(app)

# Everything built at start-up lives for the whole process: freezing it keeps full garbage
# collections from re-scanning it, and a larger young generation makes them rarer. Both
# were measured in bench/gc_variants.py (docs/benchmarks.md).
gc.collect()
gc.freeze()
gc.set_threshold(50_000, 20, 100)


def main() -> None:
    """Serve the app and its Socket.IO endpoint in one process."""
    # Containers and PaaS dynos must listen on every interface; a laptop only on loopback.
    default_host = "0.0.0.0" if os.environ.get("ENCORE_ENV") == "production" else "127.0.0.1"  # noqa: S104
    host = os.environ.get("HOST", default_host)
    port = int(os.environ.get("PORT", "5000"))
    serve(
        app, ASYNC_MODE, host=host, port=port, log_output=os.environ.get("ENCORE_ACCESS_LOG") == "1"
    )


if __name__ == "__main__":
    main()
