"""Start and stop the whole local stack in this process (used by `make dev` and the tests)."""

from __future__ import annotations

import logging
import socket
import threading
import warnings
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from local.environment import add_code_paths, apply_environment
from local.server import serve


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
    reports: Any = None  # send-now's hand-off (local.report_queue.InProcessReportQueue)

    def stop(self) -> None:
        if self.reports is not None:
            self.reports.wait_idle(30)  # a report being sent finishes before moto goes away
        self.web.shutdown()
        self.web.server_close()
        self.moto.stop()


class _IdempotentTransactions:
    """DynamoDB's idempotency token for TransactWriteItems, which moto ignores.

    `Store.transact` sends a `ClientRequestToken`, which botocore keeps across its retries;
    DynamoDB answers a repeat of a committed transaction (same token, within 10 minutes) with
    success and changes nothing. moto runs the repeat again, so a transaction whose answer came
    back after the client's read timeout (a slow, busy emulator) failed its own
    `attribute_not_exists` conditions on the retry: a sail "created" twice answered 500 (seen
    in a full test run). Here the emulator keeps each committed token's answer for 10 minutes.
    """

    TARGET = "DynamoDB_20120810.TransactWriteItems"
    KEEP_SECONDS = 600.0

    def __init__(self) -> None:
        self.answers: dict[str, tuple[float, str, list[tuple[str, str]], bytes]] = {}

    def answer(self, application: Any, environ: Any, start_response: Any) -> list[bytes]:
        import io
        import json
        import time

        if environ.get("HTTP_X_AMZ_TARGET") != self.TARGET:
            return list(application(environ, start_response))
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        try:
            request = json.loads(raw)
        except ValueError:
            request = {}
        token = str(request.get("ClientRequestToken") or "") if isinstance(request, dict) else ""
        now = time.monotonic()
        self.answers = {k: v for k, v in self.answers.items() if now - v[0] < self.KEEP_SECONDS}
        if token in self.answers:
            _, status, headers, body = self.answers[token]
            start_response(status, headers)
            return [body]
        seen: dict[str, Any] = {}

        def keep(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = b"".join(application(environ, keep))
        if token and str(seen.get("status", "")).startswith("200"):
            self.answers[token] = (now, seen["status"], list(seen["headers"]), body)
        return [body]


class MotoServer:
    """moto's server, answering one request at a time.

    moto's backends are not thread-safe (a TransactWriteItems that deep-copied the table while
    other requests changed it: "dictionary changed size during iteration", lost writes).
    Real DynamoDB serialises writes to an item itself; serialising the emulator's requests
    keeps that guarantee while connections are still accepted concurrently, so races in
    our own read-then-write code still interleave across requests.
    """

    def __init__(self, port: int) -> None:
        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        application = DomainDispatcherApplication(create_backend_app)
        lock = threading.Lock()
        transactions = _IdempotentTransactions()

        def one_at_a_time(environ: Any, start_response: Any) -> list[bytes]:
            with lock:
                return transactions.answer(application, environ, start_response)

        self.server = make_server("127.0.0.1", port, one_at_a_time, threaded=True, request_handler=MotoRequestHandler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="moto", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join()


def start_moto(port: int) -> tuple[Any, str]:
    from local.moto_percentiles import install as install_cloudwatch_percentiles
    from local.moto_transactions import install as install_transactions_backing_up_touched_items
    from local.outbox import record_send_times

    record_send_times()
    install_transactions_backing_up_touched_items()
    install_cloudwatch_percentiles()  # the CTO report's Lambda p95 works locally
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would drown the app's
    return MotoServer(port), f"http://127.0.0.1:{port}"


def register_local_commands() -> None:
    """The outbox page's buttons."""
    from local.commands import run_nudges
    from local.server import LOCAL_COMMANDS

    LOCAL_COMMANDS["nudge"] = run_nudges


def install_report_hand_off() -> Any:
    """Send-now runs ReportFunction's handler in a background thread of this process."""
    from api_dependencies import install_report_queue

    from local.report_queue import InProcessReportQueue

    reports = InProcessReportQueue()
    install_report_queue(reports)
    return reports


def install_login_link_hand_off() -> Any:
    """Login links are mailed by a background thread of this process, after the answer; the
    outbox waits for them before it is read."""
    from api_dependencies import install_login_link_mail

    from local.login_link_mail import InProcessLoginLinkMail
    from local.outbox import BEFORE_READ

    links = InProcessLoginLinkMail()
    install_login_link_mail(links)
    BEFORE_READ[:] = [links.wait_idle]
    return links


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
    reports = install_report_hand_off()
    install_login_link_hand_off()
    web = serve(web_port)
    return LocalStack(moto=moto, web=web, moto_url=moto_url, url=url, reports=reports)
