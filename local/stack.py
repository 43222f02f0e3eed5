"""Start and stop the whole local stack in this process (used by `make dev` and the tests)."""

from __future__ import annotations

import logging
import socket
import warnings
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from local.environment import apply_environment
from local.server import add_code_paths, serve


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalStack:
    moto: Any
    web: ThreadingHTTPServer
    moto_url: str
    url: str

    def stop(self) -> None:
        self.web.shutdown()
        self.web.server_close()
        self.moto.stop()


def start_moto(port: int) -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    from local.outbox import record_send_times

    record_send_times()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would drown the app's
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    return server, f"http://127.0.0.1:{port}"


def register_local_commands() -> None:
    """The outbox page's buttons."""
    from local.commands import run_nudges
    from local.server import LOCAL_COMMANDS

    LOCAL_COMMANDS["nudge"] = run_nudges


def start_stack(web_port: int = 0, moto_port: int = 0, *, seed: bool = True) -> LocalStack:
    """moto's server, every resource from template.yaml, demo data, and the web server."""
    add_code_paths()
    # Locally metrics are off; Powertools still warns on every invocation that none were published.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    moto_port = moto_port or free_port()
    web_port = web_port or free_port()
    moto, moto_url = start_moto(moto_port)
    url = f"http://127.0.0.1:{web_port}"
    apply_environment(moto_url, url)

    from local.provision import provision

    provision()
    if seed:
        from local.seed import seed_demo_data

        seed_demo_data()
    register_local_commands()
    web = serve(web_port)
    return LocalStack(moto=moto, web=web, moto_url=moto_url, url=url)
