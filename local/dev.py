"""`make dev`: the whole stack on http://127.0.0.1:3000 (PORT overrides) until Ctrl-C."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading

from local.stack import start_stack


def main() -> int:
    port = int(os.environ.get("PORT", "3000"))
    moto_port = int(os.environ.get("MOTO_PORT", "5055"))
    stack = start_stack(web_port=port, moto_port=moto_port)
    admin = os.environ.get("ADMIN_EMAILS", "admin@example.com").split(",")[0].strip()
    print(
        f"""
Quarterdeck is running at {stack.url}

  Sign in:  open {stack.url}, enter {admin}, then open the link in
            the local outbox at {stack.url}/_local/outbox
  API:      {stack.url}/api/health · {stack.url}/api/openapi.json
  AWS:      moto's server at {stack.moto_url} (DynamoDB, SES, S3, Secrets Manager)

Press Ctrl-C to stop.""",
        flush=True,
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with contextlib.suppress(KeyboardInterrupt):
        stopped.wait()
    print("\nStopping...", flush=True)
    stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
