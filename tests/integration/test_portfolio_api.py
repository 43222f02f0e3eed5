"""The business data API (issue 22, item 1) against the local stack: read, save with a version
(409 when stale), refuse a bad value naming its field with nothing stored, versions, compare,
restore, download and upload. Each test leaves the figures as the example file has them."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ApiClient


def forget_versions() -> None:
    """The session's stack as it was: no version saved, the reports read the data file (other
    suites test that file's absence)."""
    from quarterdeck.store import Store

    store = Store()
    for item in store.query("PORTFOLIO"):
        store.delete(item["pk"], item["sk"])


@pytest.fixture
def current(admin: ApiClient) -> Iterator[dict[str, Any]]:
    forget_versions()
    answer = admin.get("/api/portfolio")
    assert answer.status_code == 200, answer.text
    assert answer.json()["version"] == 0
    yield answer.json()
    forget_versions()


def test_a_saved_figure_is_current_versioned_and_restorable(admin: ApiClient, current: dict[str, Any]) -> None:
    # Given the business data; When an admin changes a revenue figure
    document = copy.deepcopy(current["document"])
    before = document["revenue"][0]["amount"]
    document["revenue"][0]["amount"] = before + 777
    saved = admin.request("PUT", "/api/portfolio", {"version": current["version"], "document": document})
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert body["by"] == "admin@example.com" and body["changes"][0]["path"] == "revenue[0].amount"
    # Then it is the current version, listed with who saved it
    assert admin.get("/api/portfolio").json()["document"]["revenue"][0]["amount"] == before + 777
    listed = admin.get("/api/portfolio/versions").json()["versions"]
    assert listed[0]["version"] == body["version"] and listed[0]["by"] == "admin@example.com"
    # And a save from the older version is refused (409), nothing stored
    stale = admin.request(
        "PUT", "/api/portfolio", {"version": current["version"] if current["version"] else 1, "document": document}
    )
    assert stale.status_code == 409 and stale.json()["error"]["field"] == "version"
    # And the version before compares and restores
    earlier = admin.get(f"/api/portfolio/versions/{body['version'] - 1}").json()
    assert {"path": "revenue[0].amount", "before": before, "after": before + 777} in earlier["to_current"]
    restored = admin.post(f"/api/portfolio/versions/{body['version'] - 1}/restore", {"version": body["version"]})
    assert restored.status_code == 200, restored.text
    assert restored.json()["how"] == f"restored version {body['version'] - 1}"
    assert admin.get("/api/portfolio").json()["document"]["revenue"][0]["amount"] == before


def test_a_bad_value_is_refused_naming_the_field_and_nothing_is_stored(
    admin: ApiClient, current: dict[str, Any]
) -> None:
    document = copy.deepcopy(current["document"])
    document["revenue"][0]["amount"] = "a lot"
    refused = admin.request("PUT", "/api/portfolio", {"version": current["version"], "document": document})
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"]["field"] == "revenue[0].amount"
    assert admin.get("/api/portfolio").json()["version"] == current["version"]


def test_the_file_downloads_and_uploads_back(admin: ApiClient, current: dict[str, Any]) -> None:
    file = admin.get("/api/portfolio/file")
    assert file.status_code == 200 and "attachment" in file.headers["Content-Disposition"]
    text = file.text.replace("cash_on_hand = ", "cash_on_hand = 9", 1)
    uploaded = admin.request("PUT", "/api/portfolio/file", {"version": current["version"], "text": text})
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["how"] == "uploaded"
    bad = admin.request(
        "PUT",
        "/api/portfolio/file",
        {"version": uploaded.json()["version"], "text": text.replace("cash_on_hand = 9", "cash_on_hand = -9", 1)},
    )
    assert bad.status_code == 422 and "line " in bad.json()["error"]["message"]
    assert bad.json()["error"]["field"] == "finance.cash_on_hand"
