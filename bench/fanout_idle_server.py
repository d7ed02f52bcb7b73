"""One server of bench/fanout_idle.py: the app of whichever `revgraph` is
first on PYTHONPATH (this checkout, or a baseline's `git archive`), served
as `revgraph serve` serves it, with the websockets' two idle timers set
from the environment so that either can be measured alone (the baseline
reads neither setting from the environment):

    FANOUT_IDLE_PING      seconds between keep-alive pings (0: none)
    FANOUT_IDLE_PRESENCE  seconds between presence checks

    python fanout_idle_server.py PORT"""

from __future__ import annotations

import dataclasses
import os
import sys


def main() -> None:
    import uvicorn

    from revgraph.resolvers.settings import Settings
    from revgraph.web.app import create_app
    from revgraph.web.cli import SERVER_OPTIONS
    from revgraph.web.gc_tuning import apply_collector, requested_collector

    ping = float(os.environ["FANOUT_IDLE_PING"])
    presence = float(os.environ["FANOUT_IDLE_PRESENCE"])
    settings = Settings.from_env()
    settings = dataclasses.replace(
        settings, limits=dataclasses.replace(settings.limits, ws_presence_interval_seconds=presence)
    )
    app = create_app(settings)
    apply_collector(requested_collector())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        loop="asyncio",  # `serve`'s default (uvicorn's own, "auto", would take uvloop)
        **{**SERVER_OPTIONS, "ws_ping_interval": ping or None, "ws_ping_timeout": ping or None},
    )


if __name__ == "__main__":
    main()
