"""Secrets stay out of the repository and the logs; dependencies and code pass their audits.

- Every tracked file is scanned for the JWT signing key of the running stack and for the
  shapes of well-known secrets (cloud keys, private keys, tokens of services we use).
- A whole sign-in + claim + waiver flow runs with the app's logger at DEBUG; nothing it logs
  contains the signing key, a magic code, a session token or an unsubscribe token.
- `pip-audit` on the pinned requirements and on the installed environment: no known
  vulnerability. When the vulnerability data cannot be reached from this machine the test is
  skipped saying so, never passed.
- `bandit` on the shipped and local code: no finding, and every `# nosec` names its check
  and says why.
"""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.stack import LocalStack
from tests.conftest import ApiClient, code_of, last_link_to, outbox, sign_in
from tests.security.conftest import ADMIN_EMAIL, new_sail, signing_secret, unique, unique_email

ROOT = Path(__file__).resolve().parents[2]
BANDIT_TARGETS = ["layers/shared/quarterdeck", "functions", "local"]

# Shapes of secrets, built so that this file does not match them itself.
SECRET_PATTERNS = {
    "cloud access key id": rb"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",
    "cloud secret key assignment": rb"(?i)aws_secret_access_key\s*[:=]\s*[\"']?[A-Za-z0-9/+=]{40}\b",
    "private key block": rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----",
    "GitHub token": rb"\bgh[pousr]_[A-Za-z0-9]{36,}\b",
    "Slack token": rb"\bxox[abposr]-[A-Za-z0-9-]{10,}",
    "Stripe secret key": rb"\b[rs]k_live_[0-9A-Za-z]{16,}",
    "Google API key": rb"\bAIza[0-9A-Za-z_-]{35}\b",
    "signed JWT": rb"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{20,}",
}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / name for name in listed.decode().split("\0") if name and (ROOT / name).is_file()]


def secrets_in(data: bytes, key: str) -> list[str]:
    found = [name for name, pattern in SECRET_PATTERNS.items() if re.search(pattern, data)]
    if key and key.encode() in data:
        found.append("the JWT signing key")
    return found


def test_the_scanner_recognises_what_it_looks_for() -> None:
    # Samples assembled at run time (none of them is in a tracked file)
    samples = {
        "cloud access key id": b"key = AKIA" + b"Z7Q2" * 4,
        "private key block": b"-----BEGIN " + b"RSA PRIVATE KEY-----\nMIIE...",
        "GitHub token": b"ghp_" + b"a1B2" * 9,
        "Stripe secret key": b"sk_" + b"live_" + b"4eC39HqLyjWDarjtT1zdp7dc",
        "signed JWT": b"eyJhbGciOiJIUzI1NiJ9." + b"eyJzdWIiOiJ4In0x." + b"S" * 43,
    }
    for name, sample in samples.items():
        assert name in secrets_in(sample, ""), name
    assert secrets_in(b"the key is k3y-of-the-stack", "k3y-of-the-stack") == ["the JWT signing key"]


def test_no_secret_is_in_a_tracked_file(stack: LocalStack) -> None:
    # Given the signing key the running stack generated and the repository's tracked files
    key = signing_secret()["key"]
    files = tracked_files()
    assert len(files) > 100
    # Then none holds the key or anything shaped like a secret
    found = {str(path.relative_to(ROOT)): hits for path in files if (hits := secrets_in(path.read_bytes(), key))}
    assert found == {}


def test_the_signing_key_is_generated_never_written_down() -> None:
    from local.provision import load_template

    resources = load_template()["Resources"]
    secrets = {name: r for name, r in resources.items() if r.get("Type") == "AWS::SecretsManager::Secret"}
    assert secrets, "template.yaml has no secret for the signing key"
    for name, resource in secrets.items():
        properties = resource.get("Properties", {})
        assert "GenerateSecretString" in properties, name
        assert "SecretString" not in properties, name


def test_no_function_logs_whole_events() -> None:
    # Events carry Authorization headers, cookies and codes; Powertools would log them all.
    text = (ROOT / "template.yaml").read_text()
    assert not re.search(r"POWERTOOLS_LOGGER_LOG_EVENT:\s*['\"]?true", text, re.IGNORECASE)
    assert "log_event=True" not in (ROOT / "functions/api/api_handler.py").read_text()


# --- logs ------------------------------------------------------------------------------------
@pytest.fixture
def app_log(caplog: pytest.LogCaptureFixture) -> Iterator[io.StringIO]:
    """Everything the app's Powertools logger writes (JSON lines), with the level at DEBUG,
    plus what other libraries log at INFO (in caplog)."""
    from quarterdeck.observability import logger

    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(logger.registered_formatter)
    underlying = logging.getLogger(logger.name)
    previous = underlying.level
    underlying.addHandler(handler)
    underlying.setLevel(logging.DEBUG)
    caplog.set_level(logging.INFO)
    caplog.set_level(logging.DEBUG, logger="aws_lambda_powertools")
    try:
        yield captured
    finally:
        underlying.removeHandler(handler)
        underlying.setLevel(previous)


def _redeem(stack: LocalStack, link: str) -> tuple[ApiClient, str]:
    """A client signed in with the link's code, and its session token (from the cookie)."""
    client = ApiClient(stack.url)
    answer = client.post("/api/auth/magic", {"code": code_of(link)})
    assert answer.status_code == 200, answer.text
    client.token = answer.cookies["qd_session"]
    return client, client.token


def _newer_link(stack: LocalStack, email: str, seen: set[str]) -> str:
    link = last_link_to(stack, email)
    assert link not in seen, f"no new link mailed to {email}"
    seen.add(link)
    return link


def test_a_whole_flow_logs_no_key_code_or_token(
    stack: LocalStack,
    app_log: io.StringIO,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    from quarterdeck.people import ensure_person
    from quarterdeck.repositories.people import DynamoPeopleRepository
    from quarterdeck.store import Store
    from quarterdeck.unsubscribe import load_unsubscribe_keys, unsubscribe_token

    links: set[str] = set()
    secrets: dict[str, str] = {"signing key": signing_secret()["key"]}
    # Given a crew member who signs in from an emailed link
    crew_email = unique_email("logged")
    ensure_person(DynamoPeopleRepository(Store()), crew_email, "crew")
    anonymous = ApiClient(stack.url)
    assert anonymous.post("/api/auth/login-link", {"email": crew_email}).status_code == 202
    login = _newer_link(stack, crew_email, links)
    crew, crew_token = _redeem(stack, login)
    secrets |= {"login code": code_of(login), "crew token": crew_token}
    # And the same link again (refused: the refusal is logged)
    assert anonymous.post("/api/auth/magic", {"code": code_of(login)}).status_code == 401
    # When the admin invites them to a slot and they claim it from the emailed link
    admin = sign_in(stack, ADMIN_EMAIL)
    secrets["admin token"] = admin.token or ""
    sail = new_sail(admin, unique("Logged sail"))
    invited = admin.post(f"/api/sails/{sail['id']}/roles/crew-1/invite", {"email": crew_email})
    assert invited.status_code == 200, invited.text
    claim_link = _newer_link(stack, crew_email, links)
    claimer, claim_token = _redeem(stack, claim_link)
    secrets |= {"claim code": code_of(claim_link), "claim token": claim_token}
    assert claimer.post(f"/api/sails/{sail['id']}/roles/crew-1/claim").status_code == 200
    # And a guest is added, opens the waiver link and signs
    guest_email = unique_email("logged-guest")
    added = admin.post(f"/api/sails/{sail['id']}/guests", {"name": "Logged Guest", "email": guest_email})
    assert added.status_code == 201, added.text
    waiver_link = _newer_link(stack, guest_email, links)
    guest, guest_token = _redeem(stack, waiver_link)
    secrets |= {"waiver code": code_of(waiver_link), "guest token": guest_token}
    guest_id = added.json()["guest"]["id"]
    signed = guest.post(
        f"/api/sails/{sail['id']}/guests/{guest_id}/waiver", {"full_name": "Logged Guest", "accept": True}
    )
    assert signed.status_code == 201, signed.text
    # And someone unsubscribes and everyone signs out
    token = unsubscribe_token(load_unsubscribe_keys(), crew_email)
    secrets["unsubscribe token"] = token
    assert anonymous.post("/api/nudges/unsubscribe", {"token": token}).status_code == 200
    for session in (crew, claimer, guest, admin):
        assert session.post("/api/auth/logout").status_code == 200
    assert len(outbox(stack)) > 0
    # Then the logs were written (the capture works) ...
    logged = app_log.getvalue()
    assert "request refused" in logged, logged[-2000:]
    everything = logged + caplog.text + "".join(capfd.readouterr())
    # ... and hold none of the secrets, whole or as their first half
    leaked = {name for name, value in secrets.items() if value and (value in everything or value[:24] in everything)}
    assert leaked == set()


# --- dependencies ----------------------------------------------------------------------------
def _pip_audit(*args: str) -> dict[str, Any]:
    run = subprocess.run(
        [sys.executable, "-m", "pip_audit", *args, "--format", "json", "--progress-spinner", "off"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    try:
        return dict(json.loads(run.stdout))
    except json.JSONDecodeError:
        pytest.fail(f"pip-audit did not answer (exit {run.returncode}): {run.stderr[-2000:]}")


def _judge(report: dict[str, Any], what: str) -> None:
    dependencies = report["dependencies"]
    vulnerable = {
        f"{d['name']} {d.get('version', '')}": [v["id"] for v in d["vulns"]] for d in dependencies if d.get("vulns")
    }
    assert vulnerable == {}, f"known vulnerabilities in {what}"
    unaudited = [d for d in dependencies if "skip_reason" in d]
    if unaudited:
        audited = len(dependencies) - len(unaudited)
        rest = f"The {audited} looked up have no known vulnerability." if audited else "Nothing was audited."
        pytest.skip(
            f"NOT AUDITED: pip-audit could not look up {len(unaudited)} of {len(dependencies)} packages of {what}: "
            "the package index's per-version vulnerability data is not reachable from this machine "
            f"(first: {unaudited[0]['skip_reason']}). {rest} "
            "CI audits them as a required check (the pip-audit job of .github/workflows/ci.yml)."
        )


def test_pinned_requirements_have_no_known_vulnerability() -> None:
    report = _pip_audit(
        "-r", "requirements-dev.txt", "-r", "layers/shared/requirements.txt", "--no-deps", "--disable-pip"
    )
    names = {d["name"] for d in report["dependencies"]}
    assert {"pydantic", "pyjwt", "boto3", "bandit"} <= names, names  # both files were read
    _judge(report, "the pinned requirements")


def test_the_installed_environment_has_no_known_vulnerability() -> None:
    # Every package installed in the venv, so transitive dependencies are audited too
    _judge(_pip_audit(), "the installed environment")


# --- bandit ----------------------------------------------------------------------------------
def test_bandit_finds_nothing() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "bandit", "-r", *BANDIT_TARGETS, "-f", "json", "-q"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(run.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == [], "fix each finding, or justify it on its line: # nosec BXXX - why it is safe"
    assert report["errors"] == []


def test_every_nosec_names_its_check_and_why() -> None:
    unexplained = []
    for target in BANDIT_TARGETS:
        for path in sorted((ROOT / target).rglob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if "nosec" in line and not re.search(r"#\s*nosec\s+B\d{3}(?:\s*,\s*B\d{3})*\s+-\s+\S.{9,}", line):
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unexplained == []
