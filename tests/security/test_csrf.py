"""CSRF: a cookie session acts only on same-origin JSON; refused requests change nothing.

Browsers attach the session cookie on their own, so a cookie-authenticated write must carry
`Content-Type: application/json` (which a cross-site form or no-cors fetch cannot send) and
must not come from another origin (`Origin`, `Sec-Fetch-Site`). Bearer tokens are exempt:
a browser never adds them by itself.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from local.stack import LocalStack
from tests.conftest import ApiClient, sign_in
from tests.security.conftest import ADMIN_EMAIL, unique, unique_email


@pytest.fixture
def admin_cookie(stack: LocalStack) -> dict[str, str]:
    """An admin's session cookie, as the magic-link page receives it."""
    return {"qd_session": sign_in(stack, ADMIN_EMAIL).token or ""}


def _task_titles(stack: LocalStack) -> set[str]:
    admin = sign_in(stack, ADMIN_EMAIL)
    columns = admin.get("/api/tasks").json()["columns"]
    return {task["title"] for tasks in columns.values() for task in tasks}


def _post(stack: LocalStack, path: str, cookie: dict[str, str], body: Any, headers: dict[str, str]) -> Any:
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return requests.post(f"{stack.url}{path}", data=data, cookies=cookie, headers=headers, timeout=30)


def _cross_site_attempts(stack: LocalStack, title: str) -> dict[str, tuple[Any, dict[str, str]]]:
    """Each way another site could try to make the admin's browser add a task."""
    as_json = {"title": title}
    json_type = {"Content-Type": "application/json"}
    return {
        "form post": (f"title={title}", {"Content-Type": "application/x-www-form-urlencoded"}),
        "multipart form": (
            f'--b\r\nContent-Disposition: form-data; name="title"\r\n\r\n{title}\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
        ),
        "text/plain with a JSON body": (json.dumps(as_json), {"Content-Type": "text/plain"}),
        "text/plain form trick": (json.dumps(as_json)[:-1] + ', "x": "="}', {"Content-Type": "text/plain"}),
        "no content type": (json.dumps(as_json), {}),
        "JSON from a foreign origin": (as_json, {**json_type, "Origin": "https://evil.example"}),
        "JSON from origin null": (as_json, {**json_type, "Origin": "null"}),
        "JSON from another port": (as_json, {**json_type, "Origin": "http://127.0.0.1:1"}),
        "JSON, Sec-Fetch-Site cross-site": (as_json, {**json_type, "Sec-Fetch-Site": "cross-site"}),
        "JSON, Sec-Fetch-Site same-site": (as_json, {**json_type, "Sec-Fetch-Site": "same-site"}),
        "JSON, same origin but cross-site fetch": (
            as_json,
            {**json_type, "Origin": stack.url, "Sec-Fetch-Site": "cross-site"},
        ),
    }


def test_cross_site_writes_with_the_cookie_are_refused_and_change_nothing(
    stack: LocalStack, admin_cookie: dict[str, str]
) -> None:
    title = unique("CSRF task")
    # When another site tries each trick with the admin's cookie
    answers = {
        name: _post(stack, "/api/tasks", admin_cookie, body, headers)
        for name, (body, headers) in _cross_site_attempts(stack, title).items()
    }
    # Then every one is refused as forbidden
    assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 403)
    assert {a.json()["error"]["code"] for a in answers.values()} == {"forbidden"}
    # And no task was added
    assert title not in _task_titles(stack)


def test_same_origin_json_with_the_cookie_works(stack: LocalStack, admin_cookie: dict[str, str]) -> None:
    title = unique("Same-origin task")
    # Given the app's own request: JSON, from its own origin, as the browser labels it
    headers = {"Content-Type": "application/json", "Origin": stack.url, "Sec-Fetch-Site": "same-origin"}
    answer = _post(stack, "/api/tasks", admin_cookie, {"title": title}, headers)
    # Then it is done
    assert answer.status_code == 201, answer.text
    assert title in _task_titles(stack)
    # And so is JSON without Origin (a same-origin GET-less client such as a script on the page)
    plain = _post(stack, "/api/tasks", admin_cookie, {"title": title + "!"}, {"Content-Type": "application/json"})
    assert plain.status_code == 201, plain.text


def test_a_refused_cross_site_logout_keeps_the_session(stack: LocalStack) -> None:
    # Given a crew member's cookie session
    session = sign_in(stack, unique_email("csrf-crew"))
    cookie = {"qd_session": session.token or ""}
    # When another site posts a logout form with it
    refused = _post(stack, "/api/auth/logout", cookie, "", {"Content-Type": "application/x-www-form-urlencoded"})
    # Then it is refused and the session still works
    assert refused.status_code == 403
    assert requests.get(f"{stack.url}/api/me", cookies=cookie, timeout=30).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/api/tasks/{task}", {"version": 1, "title": "changed cross-site"}),
        ("DELETE", "/api/calendar/token", None),
        ("POST", "/api/calendar/token", {}),
    ],
)
def test_every_unsafe_method_is_checked(
    stack: LocalStack, admin_cookie: dict[str, str], method: str, path: str, body: Any
) -> None:
    admin = sign_in(stack, ADMIN_EMAIL)
    task = admin.post("/api/tasks", {"title": unique("Kept task")}).json()
    target = stack.url + path.format(task=task["id"])
    data = json.dumps(body) if body is not None else None
    answer = requests.request(
        method, target, data=data, cookies=admin_cookie, timeout=30, headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 403, answer.text
    assert admin.get(f"/api/tasks/{task['id']}").json()["title"] == task["title"]


def test_bearer_clients_are_not_subject_to_the_browser_checks(stack: LocalStack) -> None:
    # An API client's token is never attached by a browser, so Origin does not matter to it
    admin = sign_in(stack, ADMIN_EMAIL)
    answer = admin.post("/api/tasks", {"title": unique("Bearer task")}, headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 201, answer.text


def test_a_cross_site_form_cannot_sign_a_browser_in(stack: LocalStack) -> None:
    """Login CSRF: a page elsewhere posting an attacker's own code must not open a session."""
    from datetime import timedelta

    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    code = issue_code(Store(), unique_email("attacker"), Purpose.login(), timedelta(minutes=15))
    attempts = {
        "text/plain JSON": (json.dumps({"code": code}), {"Content-Type": "text/plain"}),
        "form": (f"code={code}", {"Content-Type": "application/x-www-form-urlencoded"}),
        "multipart": (
            f'--b\r\nContent-Disposition: form-data; name="code"\r\n\r\n{code}\r\n--b--\r\n',
            {"Content-Type": "multipart/form-data; boundary=b"},
        ),
    }
    for name, (body, headers) in attempts.items():
        answer = requests.post(f"{stack.url}/api/auth/magic", data=body, headers=headers, timeout=30)
        # Then no session is opened (and the answer is a clear 4xx, never a 5xx)
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
        assert "qd_session=" not in answer.headers.get("Set-Cookie", ""), name
    # And the code was not spent by those attempts
    assert ApiClient(stack.url).post("/api/auth/magic", {"code": code}).status_code == 200


def test_the_session_cookie_is_out_of_reach_of_scripts_and_other_sites(stack: LocalStack) -> None:
    from datetime import timedelta

    from quarterdeck.magic_codes import Purpose
    from quarterdeck.repositories.sign_in import issue_code
    from quarterdeck.store import Store

    code = issue_code(Store(), unique_email("cookie"), Purpose.login(), timedelta(minutes=15))
    cookie = ApiClient(stack.url).post("/api/auth/magic", {"code": code}).headers["Set-Cookie"]
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert attributes["samesite"].lower() == "samesite=strict"
    assert attributes["path"].lower() == "path=/api"


# --- in a real browser --------------------------------------------------------------------
EVIL_PAGE = """<!doctype html><html><body>
<form id="f" method="post" action="{target}/api/tasks" enctype="text/plain">
  <input name='{{"title": "{title}", "x": "' value='"}}'>
</form>
<form id="g" method="post" action="{target}/api/tasks" enctype="application/x-www-form-urlencoded" target="frame">
  <input name="title" value="{title}">
</form>
<iframe name="frame"></iframe>
<script>
  fetch("{target}/api/tasks", {{method: "POST", mode: "no-cors", credentials: "include",
    headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{title: "{title}"}})}})
    .finally(() => {{ document.getElementById("g").submit(); document.title = "fetched"; }});
</script>
</body></html>"""


@pytest.mark.e2e
def test_a_page_on_another_origin_cannot_add_a_task_with_the_admins_browser(stack: LocalStack) -> None:
    from tests.security.conftest import in_browser, session_cookie

    title = unique("Browser CSRF task")
    token = sign_in(stack, ADMIN_EMAIL).token or ""
    # Another origin on the same host (a different port): same-site, so SameSite=Strict still
    # lets the cookie go; only the server's own check stands between the page and the API.
    evil_origin = "http://127.0.0.1:9"

    def visit(browser: Any) -> str:
        context = browser.new_context()
        context.add_cookies([session_cookie(stack, token)])
        page = context.new_page()
        page.route(
            f"{evil_origin}/**",
            lambda route: route.fulfill(
                status=200, content_type="text/html", body=EVIL_PAGE.format(target=stack.url, title=title)
            ),
        )
        # Given the admin, signed in, visits the other site (its script fetches and posts a form)
        page.goto(f"{evil_origin}/prize.html")
        page.wait_for_function("document.title === 'fetched'")
        page.wait_for_timeout(500)
        # When its auto-submitting text/plain form posts to the API
        with page.expect_navigation():
            page.evaluate("document.getElementById('f').submit()")
        return str(page.locator("body").inner_text())

    refused = in_browser(visit)
    # Then the API refused, and no task was added by the fetch or either form
    assert '"forbidden"' in refused, refused
    assert title not in _task_titles(stack)
