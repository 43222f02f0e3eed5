"""The deploy's parameter check (mk/check_parameters.py): production cannot ship with placeholders.

`make deploy` and the deploy workflow run it before `sam deploy`; it is run here the same way,
as a command on a samconfig.toml, and judged by its exit status and what it names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

GOOD = [
    "Stage=prod",
    "SchedulesState=ENABLED",
    "SenderEmail=no-reply@quarterdeck-sailing.org",
    "SenderIdentity=quarterdeck-sailing.org",
    "ArchiveEmail=archive@quarterdeck-sailing.org",
    "OwnerEmail=owner@quarterdeck-sailing.org",
    "AdminEmails=owner@quarterdeck-sailing.org,captain@quarterdeck-sailing.org",
    "AlertEmail=alerts@quarterdeck-sailing.org",
    "PublicUrl=https://d1234abcd5678.cloudfront.net",
]


def samconfig(tmp_path: Path, overrides: list[str] | str, env: str = "prod") -> Path:
    if isinstance(overrides, str):
        rendered = '"' + overrides.replace('"', '\\"') + '"'
    else:
        rendered = "[\n" + "".join(f'  "{item}",\n' for item in overrides) + "]"
    path = tmp_path / "samconfig.toml"
    path.write_text(
        f'version = 0.1\n[{env}.deploy.parameters]\nstack_name = "quarterdeck-{env}"\n'
        f"parameter_overrides = {rendered}\n"
    )
    return path


def check(config: Path, env: str = "prod", *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "mk/check_parameters.py", "--config-env", env, "--config-file", str(config), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def refused_names(run: subprocess.CompletedProcess[str]) -> set[str]:
    """The parameter named at the start of each '  - ' line of the refusal."""
    names = set()
    for line in run.stderr.splitlines():
        if line.startswith("  - "):
            names.add(line[4:].split("=")[0].split()[0])
    return names


def with_(**changes: str) -> list[str]:
    """GOOD with some parameters replaced (an empty string keeps the name with an empty value)."""
    kept = [item for item in GOOD if item.split("=")[0] not in changes]
    return kept + [f"{name}={value}" for name, value in changes.items()]


def test_the_example_configuration_is_refused_naming_every_placeholder(tmp_path: Path) -> None:
    # Given samconfig.toml as shipped: example.com addresses, PublicUrl left out
    config = samconfig(
        tmp_path,
        [
            "Stage=prod",
            "SenderEmail=no-reply@example.com",
            "SenderIdentity=example.com",
            "ArchiveEmail=archive@example.com",
            "OwnerEmail=owner@example.com",
            "AdminEmails=admin@example.com",
            "AlertEmail=alerts@example.com",
        ],
    )
    # When the deploy checks its parameters
    run = check(config)
    # Then it refuses, naming each parameter that still holds a placeholder
    assert run.returncode == 1
    assert refused_names(run) == {
        "SenderEmail",
        "SenderIdentity",
        "ArchiveEmail",
        "OwnerEmail",
        "AdminEmails",
        "AlertEmail",
        "PublicUrl",
    }
    assert "SenderEmail=no-reply@example.com: example.com is a reserved example domain" in run.stderr
    assert "refusing to deploy, 7 parameter(s)" in run.stderr


def test_real_parameters_pass(tmp_path: Path) -> None:
    # Given real addresses and the site's URL
    run = check(samconfig(tmp_path, GOOD))
    # Then the deploy may go on
    assert run.returncode == 0, run.stderr
    assert "deploy parameters checked" in run.stdout


def test_parameters_written_as_one_string_are_read_too(tmp_path: Path) -> None:
    # Given parameter_overrides as one command-line string, one value quoted
    good = samconfig(tmp_path, " ".join(GOOD).replace("Stage=prod", 'Stage="prod"'))
    assert check(good).returncode == 0
    # When an address in it is a placeholder, then it is named
    bad = samconfig(tmp_path, " ".join(with_(OwnerEmail="owner@example.org")))
    run = check(bad)
    assert run.returncode == 1
    assert refused_names(run) == {"OwnerEmail"}


def test_empty_and_missing_values_are_refused_by_name(tmp_path: Path) -> None:
    # Given a sender left empty and no alarm address at all
    overrides = [item for item in with_(SenderEmail="") if not item.startswith("AlertEmail=")]
    run = check(samconfig(tmp_path, overrides))
    # Then both are named
    assert run.returncode == 1
    assert "  - SenderEmail is empty" in run.stderr
    assert "  - AlertEmail is not set" in run.stderr
    assert refused_names(run) == {"SenderEmail", "AlertEmail"}


def test_one_placeholder_admin_among_real_ones_is_refused(tmp_path: Path) -> None:
    run = check(samconfig(tmp_path, with_(AdminEmails="owner@quarterdeck-sailing.org,admin@example.com")))
    assert run.returncode == 1
    assert refused_names(run) == {"AdminEmails"}


def test_placeholder_shapes_and_reserved_domains_are_refused(tmp_path: Path) -> None:
    # Given the URL placeholder from the comments, a <...> value, a .test domain and a non-address
    run = check(
        samconfig(
            tmp_path,
            with_(
                PublicUrl="https://dxxxxxxxxxxxx.cloudfront.net",
                ArchiveEmail="<archive address>",
                OwnerEmail="owner@boats.test",
                AlertEmail="alerts",
            ),
        )
    )
    # Then each is named
    assert run.returncode == 1
    assert refused_names(run) == {"PublicUrl", "ArchiveEmail", "OwnerEmail", "AlertEmail"}
    assert "PublicUrl=https://dxxxxxxxxxxxx.cloudfront.net: looks like a placeholder" in run.stderr
    assert "AlertEmail=alerts: 'alerts' is not an email address" in run.stderr


def test_the_first_deploy_may_leave_public_url_empty_but_nothing_else(tmp_path: Path) -> None:
    # Given the very first deploy, which creates the CloudFront URL that PublicUrl needs
    without_url = [item for item in GOOD if not item.startswith("PublicUrl=")]
    assert check(samconfig(tmp_path, without_url)).returncode == 1
    # When it is declared a first deploy
    run = check(samconfig(tmp_path, without_url), "prod", "--first-deploy")
    # Then an empty PublicUrl passes, with a reminder to set it
    assert run.returncode == 0, run.stderr
    assert "set it to the SiteUrl output and deploy again" in run.stdout
    # But placeholders are refused all the same
    placeholders = [item for item in with_(OwnerEmail="owner@example.com") if not item.startswith("PublicUrl=")]
    assert check(samconfig(tmp_path, placeholders), "prod", "--first-deploy").returncode == 1


def test_a_custom_domain_stands_for_public_url_but_not_an_example_one(tmp_path: Path) -> None:
    certificate = "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"
    no_url = [item for item in GOOD if not item.startswith("PublicUrl=")]
    real = [*no_url, "DomainName=crew.quarterdeck-sailing.org", f"CertificateArn={certificate}"]
    assert check(samconfig(tmp_path, real)).returncode == 0
    example = [*no_url, "DomainName=crew.example.com", f"CertificateArn={certificate}"]
    run = check(samconfig(tmp_path, example))
    assert run.returncode == 1
    assert refused_names(run) == {"DomainName"}


def test_an_environment_missing_from_the_file_is_refused(tmp_path: Path) -> None:
    run = check(samconfig(tmp_path, GOOD, env="prod"), "staging")
    assert run.returncode == 1
    assert "no [staging.*] section" in run.stderr
