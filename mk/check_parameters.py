"""Refuse to deploy with placeholder stack parameters, before CloudFormation starts.

    python3 mk/check_parameters.py --config-env prod [--config-file samconfig.toml] [--first-deploy]

Reads the `parameter_overrides` that `sam deploy --config-env ENV` would use from samconfig.toml
(`[ENV.global.parameters]`, then `[ENV.deploy.parameters]` over it) and refuses, naming each:
- a required parameter that is missing or empty (the sender, the admins, the report
  recipients, the alarm address, and the app's address: PublicUrl or DomainName);
- an address, URL or domain on a reserved example domain (example.com/.net/.org, .example,
  .test, .invalid, localhost): mail to it goes nowhere;
- a value that reads as a placeholder (dxxxx..., CHANGEME, <...>, your-..., TODO);
- an email parameter that is not an address.
`--first-deploy` lets PublicUrl stay empty, for the one deploy that creates the CloudFront URL
it needs (docs/deploy.md, "First deploy"). Standard library only: `make deploy` and the deploy
workflow run it with a bare Python.
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The addresses people receive mail at: each must be a real address.
EMAIL_PARAMETERS = ("SenderEmail", "OwnerEmail", "ArchiveEmail", "AdminEmails", "AlertEmail")
REQUIRED = EMAIL_PARAMETERS  # plus the app's address: PublicUrl, or DomainName which implies it
RESERVED_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606
RESERVED_TLDS = ("example", "test", "invalid", "localhost")
PLACEHOLDER = re.compile(r"x{5,}|changeme|change[-_ ]me|replace[-_ ]?me|placeholder|todo\b|<|>|\byour[-_]", re.I)
ADDRESS = re.compile(r"^[^@\s<>\"',;]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")
DOMAIN = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z][A-Za-z0-9-]*$")


class ConfigError(Exception):
    """samconfig.toml cannot be read for this environment."""


def parameter_overrides(config: dict[str, Any], env: str) -> dict[str, str]:
    """The parameters `sam deploy --config-env env` passes, as {name: value}."""
    if env not in config:
        raise ConfigError(f"no [{env}.*] section")
    merged: dict[str, str] = {}
    for command in ("global", "deploy"):
        section = config[env].get(command, {}).get("parameters", {})
        overrides = section.get("parameter_overrides")
        if overrides is None:
            continue
        # A TOML list of "Name=Value", or one string as on the command line: Name=Value Name="v w"
        items = shlex.split(overrides) if isinstance(overrides, str) else [str(item) for item in overrides]
        for item in items:
            name, equals, value = item.partition("=")
            if not equals:
                raise ConfigError(f"parameter_overrides entry {item!r} is not Name=Value")
            merged[name.strip()] = value.strip().strip('"').strip("'")
    return merged


def _items(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _host(item: str) -> str | None:
    """The domain an address, URL or bare domain names, lower-case; None for anything else."""
    if "@" in item:
        return item.rsplit("@", 1)[1].lower()
    if "://" in item:
        return (urlsplit(item).hostname or "").lower()
    return item.lower() if DOMAIN.match(item) else None


def _reserved(host: str) -> bool:
    return (
        host == "localhost"
        or any(host == domain or host.endswith("." + domain) for domain in RESERVED_DOMAINS)
        or host.rsplit(".", 1)[-1] in RESERVED_TLDS
    )


def problems(parameters: dict[str, str], *, first_deploy: bool = False) -> list[str]:
    """One line per refused parameter, naming it; empty when the parameters may be deployed."""
    found: list[str] = []
    for name in REQUIRED:
        if name not in parameters:
            found.append(f"{name} is not set")
        elif not parameters[name]:
            found.append(f"{name} is empty")
    has_domain = bool(parameters.get("DomainName"))
    if not parameters.get("PublicUrl") and not has_domain and not first_deploy:
        found.append(
            "PublicUrl is empty (and no DomainName): email links would point at the local dev address; set it to "
            "the SiteUrl output, or deploy once with FIRST_DEPLOY=1 to create that URL"
        )
    if parameters.get("DomainName") and not parameters.get("CertificateArn"):
        found.append("DomainName is set without CertificateArn (an ACM certificate in us-east-1)")
    for name, value in parameters.items():
        for item in _items(value):
            host = _host(item)
            if host is not None and _reserved(host):
                found.append(f"{name}={value}: {host} is a reserved example domain, not a real one")
                break
            if PLACEHOLDER.search(item):
                found.append(f"{name}={value}: looks like a placeholder")
                break
            if name in EMAIL_PARAMETERS and not ADDRESS.match(item):
                found.append(f"{name}={value}: {item!r} is not an email address")
                break
    return found


def check(config_file: Path, env: str, *, first_deploy: bool = False) -> tuple[bool, list[str]]:
    """(ok, lines to print)."""
    try:
        config = tomllib.loads(config_file.read_text())
        parameters = parameter_overrides(config, env)
    except (OSError, tomllib.TOMLDecodeError, ConfigError) as error:
        return False, [f"{config_file} [{env}]: cannot read the deploy parameters: {error}"]
    refused = problems(parameters, first_deploy=first_deploy)
    if refused:
        return False, [
            f"{config_file} [{env}]: refusing to deploy, {len(refused)} parameter(s) to set first:",
            *(f"  - {line}" for line in refused),
            'Set them in parameter_overrides (docs/deploy.md, "Before the first deploy").',
        ]
    lines = [f"{config_file} [{env}]: deploy parameters checked ({', '.join(sorted(parameters))})"]
    if first_deploy and not parameters.get("PublicUrl"):
        lines.append("  first deploy: PublicUrl is empty; set it to the SiteUrl output and deploy again")
    return True, lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mk/check_parameters.py", description=__doc__.split("\n")[0])
    parser.add_argument("--config-env", required=True, help="dev, staging or prod (samconfig.toml's section)")
    parser.add_argument("--config-file", type=Path, default=Path("samconfig.toml"))
    parser.add_argument("--first-deploy", action="store_true", help="allow an empty PublicUrl (first deploy only)")
    options = parser.parse_args(argv)
    ok, lines = check(options.config_file, options.config_env, first_deploy=options.first_deploy)
    print("\n".join(lines), file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
