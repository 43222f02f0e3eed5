"""One web server on one port: frontend/ files, /api/* as HTTP API v2 events for the same
handler Lambda runs, and the outbox under /_local/."""

from __future__ import annotations

import base64
import contextlib
import html
import json
import mimetypes
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from local import outbox
from local.environment import ROOT, LambdaContext
from local.provision import load_template

FRONTEND = ROOT / "frontend"


def security_headers() -> dict[str, str]:
    """The response headers CloudFront adds, read from template.yaml's ResponseHeadersPolicy,
    so the local stack serves exactly what production serves."""
    for resource in load_template().get("Resources", {}).values():
        if resource.get("Type") == "AWS::CloudFront::ResponseHeadersPolicy":
            return headers_of_policy(resource["Properties"]["ResponseHeadersPolicyConfig"])
    raise RuntimeError("template.yaml has no AWS::CloudFront::ResponseHeadersPolicy")


def headers_of_policy(config: dict[str, Any]) -> dict[str, str]:
    security = config.get("SecurityHeadersConfig", {})
    headers: dict[str, str] = {}
    if csp := security.get("ContentSecurityPolicy"):
        headers["Content-Security-Policy"] = " ".join(str(csp["ContentSecurityPolicy"]).split())
    if hsts := security.get("StrictTransportSecurity"):
        value = f"max-age={hsts['AccessControlMaxAgeSec']}"
        value += "; includeSubDomains" if hsts.get("IncludeSubdomains") else ""
        value += "; preload" if hsts.get("Preload") else ""
        headers["Strict-Transport-Security"] = value
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if frame := security.get("FrameOptions"):
        headers["X-Frame-Options"] = str(frame["FrameOption"])
    if referrer := security.get("ReferrerPolicy"):
        headers["Referrer-Policy"] = str(referrer["ReferrerPolicy"])
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[str(item["Header"])] = str(item["Value"])
    return headers


_ONE_EVENT_AT_A_TIME = threading.Lock()


def http_api_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as API Gateway would build it."""
    parts = urlsplit(target)
    lowered = {k.lower(): v for k, v in headers.items()}
    cookies = [c.strip() for c in lowered.pop("cookie", "").split(";") if c.strip()]
    text, encoded = None, False
    if body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:  # API Gateway hands a body that is not text over base64-encoded
            text, encoded = base64.b64encode(body).decode("ascii"), True
    now = datetime.now(UTC)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "ANY /api/{proxy+}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": lowered,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": lowered.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {
                "method": method,
                "path": parts.path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "ANY /api/{proxy+}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": encoded,
    }
    if parts.query:
        event["queryStringParameters"] = {k: ",".join(v) for k, v in parse_qs(parts.query).items()}
    if cookies:
        event["cookies"] = cookies
    if text is not None:
        event["body"] = text
    return event


def _outbox_page() -> bytes:
    rows = []
    for number, message in reversed(list(enumerate(outbox.messages()))):
        text = html.escape(message["text"])
        text = re.sub(r"(https?://[^\s<]+)", r'<a href="\1">\1</a>', text)
        rows.append(
            f"<article><h2>{html.escape(message['subject'])}</h2>"
            f"<p>To {html.escape(', '.join(message['to']))}"
            f"{' · Bcc ' + html.escape(', '.join(message['bcc'])) if message['bcc'] else ''}"
            f' · {html.escape(message["sent_at"] or "")} · <a href="/_local/outbox/{number}.html">HTML part</a></p>'
            f"{_simulate_buttons(message['id'])}"
            f"<pre>{text}</pre></article>"
        )
    body = "".join(rows) or "<p>No mail sent yet.</p>"
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Local outbox · Quarterdeck</title>
<link rel="stylesheet" href="/css/outbox.css"></head><body><main>
<h1>Local outbox</h1>
<form method="post" action="/_local/nudge"><button type="submit">Run nudges now</button></form>
<form method="post" action="/_local/reports"><button type="submit">Send reports now</button></form>
<p><a href="/">Open Quarterdeck</a> · <a href="/_local/outbox.json">outbox.json</a></p>
{body}</main></body></html>"""
    return page.encode()


def _simulate_buttons(message_id: str) -> str:
    """Buttons that make SES report a hard bounce or a complaint of this message (local/mail_events.py)."""
    from urllib.parse import quote

    target = html.escape(quote(message_id, safe=""), quote=True)
    return "".join(
        f'<form method="post" action="/_local/mail-event?id={target}&amp;event={event}" class="simulate">'
        f'<button type="submit">Simulate {event}</button></form>'
        for event in ("bounce", "complaint")
    )


# Commands the outbox page's buttons run; the nudge and report issues register theirs.
LOCAL_COMMANDS: dict[str, Callable[[], Any]] = {}


class QuarterdeckRequestHandler(BaseHTTPRequestHandler):
    server_version = "QuarterdeckLocal/1"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet by default
        pass

    def _send(
        self, status: int, body: bytes, headers: dict[str, str] | None = None, cookies: list[str] | None = None
    ) -> None:
        self.send_response(status)
        for name, value in {**security_headers_cached(), **(headers or {})}.items():
            self.send_header(name, value)
        for cookie in cookies or []:
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the browser left
                self.wfile.write(body)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _api(self) -> None:
        from api_handler import handler

        event = http_api_event(
            self.command, self.path, dict(self.headers.items()), self._body(), self.client_address[0]
        )
        with _ONE_EVENT_AT_A_TIME:  # Lambda gives an execution environment one event at a time
            result = handler(event, LambdaContext())
        body = result.get("body") or ""
        raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode()
        headers = {
            k: (", ".join(v) if isinstance(v, list) else str(v)) for k, v in (result.get("headers") or {}).items()
        }
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers[name] = ", ".join(values)
        self._send(int(result.get("statusCode", 200)), raw, headers, list(result.get("cookies") or []))

    def _static(self) -> None:
        path = urlsplit(self.path).path
        relative = "index.html" if path in ("", "/") else path.lstrip("/")
        target = (FRONTEND / relative).resolve()
        if FRONTEND.resolve() not in target.parents or not target.is_file():
            self._send(404, b"Not found", {"Content-Type": "text/plain; charset=utf-8"})
            return
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if content_type.startswith("text/") or content_type in ("application/javascript", "application/json"):
            content_type += "; charset=utf-8"
        self._send(200, target.read_bytes(), {"Content-Type": content_type, "Cache-Control": "no-cache"})

    def _local(self) -> None:
        path = urlsplit(self.path).path
        if not _is_loopback_host(self.headers.get("Host") or ""):
            # A page on another name that resolves here (DNS rebinding) must not read the outbox's links.
            self._send(403, b"Forbidden: the local outbox answers only localhost", {"Content-Type": "text/plain"})
        elif path == "/_local/outbox.json":
            self._send(200, json.dumps(outbox.messages()).encode(), {"Content-Type": "application/json"})
        elif path == "/_local/outbox":
            self._send(200, _outbox_page(), {"Content-Type": "text/html; charset=utf-8"})
        elif match := re.fullmatch(r"/_local/outbox/(\d+)\.html", path):
            sent = outbox.messages()
            number = int(match.group(1))
            if number >= len(sent):
                self._send(404, b"No such message", {"Content-Type": "text/plain"})
                return
            # Email HTML uses inline styles, as email must; this page relaxes the CSP for it alone.
            self._send(
                200,
                sent[number]["html"].encode(),
                {
                    "Content-Type": "text/html; charset=utf-8",
                    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
                },
            )
        elif self.command == "POST" and path.removeprefix("/_local/") in LOCAL_COMMANDS:
            name = path.removeprefix("/_local/")
            query = parse_qs(urlsplit(self.path).query)
            result = LOCAL_COMMANDS[name](**{k: v[0] for k, v in query.items()})
            if "json" in (self.headers.get("Accept") or ""):
                self._send(200, json.dumps(result, default=str).encode(), {"Content-Type": "application/json"})
            else:
                self._send(303, b"", {"Location": "/_local/outbox"})
        else:
            self._send(404, b"Not found", {"Content-Type": "text/plain"})

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path
        if path == "/api" or path.startswith("/api/"):
            self._api()
        elif path.startswith("/_local/"):
            self._local()
        elif self.command in ("GET", "HEAD"):
            self._static()
        else:
            self._send(405, b"Method not allowed", {"Content-Type": "text/plain"})

    do_GET = do_HEAD = do_POST = do_PATCH = do_PUT = do_DELETE = _dispatch

    def __getattr__(self, name: str) -> Any:
        # Any other method too (OPTIONS, TRACE, QUERY...): API Gateway hands it to the function
        # (a 404 from the API without a route, a 405 from the bucket), never the 501 of a
        # server that does not know the method.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)


def _is_loopback_host(host: str) -> bool:
    name = host.rsplit(":", 1)[0] if not host.startswith("[") else host.partition("]")[0] + "]"
    return name.lower() in ("localhost", "127.0.0.1", "[::1]")


_HEADERS: dict[str, str] = {}


def security_headers_cached() -> dict[str, str]:
    if not _HEADERS:
        _HEADERS.update(security_headers())
    return _HEADERS


def serve(port: int, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """Start the web server in a background thread and return it (port 0 picks a free one)."""
    server = ThreadingHTTPServer((host, port), QuarterdeckRequestHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="quarterdeck-web", daemon=True).start()
    return server


def _send_reports_now(**options: str) -> Any:
    """The outbox page's "Send reports now" button (reports issue)."""
    from local.commands import run_reports_locally

    return run_reports_locally(**options)


LOCAL_COMMANDS["reports"] = _send_reports_now


def _simulate_mail_event(**options: str) -> Any:
    """The outbox page's "Simulate bounce/complaint" buttons (issue 22)."""
    from local.mail_events import simulate

    return simulate(**options)


LOCAL_COMMANDS["mail-event"] = _simulate_mail_event
