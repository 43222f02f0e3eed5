"""Nothing personal is cached: every answer of every GET route says `Cache-Control: no-store`."""

from __future__ import annotations

import requests

from local.stack import LocalStack
from tests.conftest import sign_in
from tests.security.conftest import ADMIN_EMAIL, World
from tests.security.test_hostile_input import _operations, _real_path


def test_every_read_says_no_store(stack: LocalStack, world: World) -> None:
    # Given an admin and real ids, when every GET route of the document is read
    admin = sign_in(stack, ADMIN_EMAIL)
    headers = {"Authorization": f"Bearer {admin.token}"}
    answers = {
        path: requests.get(stack.url + _real_path(path, world), headers=headers, timeout=30)
        for method, path, _ in _operations(stack)
        if method == "GET"
    }
    # Then each one, whatever its status, tells every cache not to keep it
    assert len(answers) >= 12
    kept = {path: answer.headers.get("Cache-Control") for path, answer in answers.items()}
    assert {path: value for path, value in kept.items() if value != "no-store"} == {}
