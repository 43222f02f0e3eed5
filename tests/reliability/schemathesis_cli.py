"""schemathesis' own command line, with every request sent from one loopback address of the
caller's choosing: `python -m tests.reliability.schemathesis_cli 127.9.8.7 run <schema> ...`.

Generated junk runs into per-address limits (wrong magic codes); from an address of its own it
never locks the rest of the suite out. The CLI itself is schemathesis' (click `main`),
unchanged: only the HTTP adapter's source address is set."""

from __future__ import annotations

import sys
from typing import Any

import requests.adapters


def _from(address: str) -> None:
    original = requests.adapters.HTTPAdapter.init_poolmanager

    def init_poolmanager(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (address, 0)
        original(self, *args, **kwargs)

    requests.adapters.HTTPAdapter.init_poolmanager = init_poolmanager  # type: ignore[method-assign]


if __name__ == "__main__":
    _from(sys.argv[1])
    from schemathesis.cli import schemathesis

    schemathesis(sys.argv[2:], prog_name="schemathesis")
