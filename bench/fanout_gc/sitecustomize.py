"""The servers' garbage collections, for bench/fanout.py --gc-log: this
folder goes first on the servers' PYTHONPATH and Python imports this module
at start-up. Each collection is logged to $FANOUT_GC_LOG/gc-<pid>.log as
"<wall time> <generation> <thread CPU ms> <collected>", so that the driver can
tell which collections fell into the measured window and on which server
(a full collection walks every object a subscription keeps alive)."""

import gc
import os
import sys
import time

_folder = os.environ.get("FANOUT_GC_LOG")
if _folder and "serve" in sys.argv:
    _log = open(os.path.join(_folder, f"gc-{os.getpid()}.log"), "a", buffering=1)
    _started = [0.0]

    def _logged(phase: str, info: dict) -> None:
        if phase == "start":
            _started[0] = time.thread_time()
            return
        spent = (time.thread_time() - _started[0]) * 1e3
        _log.write(f"{time.time():.4f} {info['generation']} {spent:.2f} {info['collected']}\n")

    gc.callbacks.append(_logged)
