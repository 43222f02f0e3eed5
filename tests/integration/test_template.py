"""template.yaml says what we promise about the stack: least privilege, data kept, nothing public.

Each test reads the template (with cfn-lint's decoder, which understands !Ref, !Sub, !If ...)
and checks one property. They need no AWS account and no network.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"

# Actions that IAM accepts only with Resource "*" (no resource-level permissions).
# Anything else with "*" as its resource fails test_no_wildcard_resource_except_justified.
ACTIONS_WITHOUT_RESOURCE_LEVEL = {"ses:GetSendQuota"}

FUNCTIONS = ("ApiFunction", "NudgeFunction", "ReportFunction")


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    decoded, matches = decode(str(TEMPLATE_PATH))
    assert not matches, f"template.yaml does not parse: {matches}"
    assert decoded is not None
    return dict(decoded)


def resources(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {name: res for name, res in template["Resources"].items() if res["Type"] == type_}


def props(template: dict[str, Any], name: str) -> dict[str, Any]:
    return dict(template["Resources"][name].get("Properties", {}))


def function_setting(template: dict[str, Any], name: str, key: str) -> Any:
    """A function's own setting, else the Globals one (as SAM merges them)."""
    own = props(template, name)
    if key in own:
        return own[key]
    return template.get("Globals", {}).get("Function", {}).get(key)


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def policy_statements(template: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every inline IAM statement: SAM function Policies, IAM roles/policies, bucket policies."""
    for name, res in template["Resources"].items():
        p = res.get("Properties", {})
        docs: list[Any] = []
        if res["Type"] == "AWS::Serverless::Function":
            docs += [pol for pol in as_list(p.get("Policies", [])) if isinstance(pol, dict) and "Statement" in pol]
        if res["Type"] == "AWS::IAM::Role":
            docs += [pol["PolicyDocument"] for pol in p.get("Policies", [])]
        if res["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::S3::BucketPolicy"}:
            docs.append(p["PolicyDocument"])
        for doc in docs:
            for statement in as_list(doc["Statement"]):
                yield name, dict(statement)


def strings_in(value: Any) -> Iterator[str]:
    """Every plain string inside a value, including both branches of !If and !Sub's text."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


# ------------------------------------------------------------------ functions


def test_every_function_is_python313_on_arm64_with_the_shared_layer(template: dict[str, Any]) -> None:
    """Given the three functions, when SAM merges Globals, then each runs python3.13 on arm64 with SharedLayer."""
    found = resources(template, "AWS::Serverless::Function")
    assert set(FUNCTIONS) <= set(found)
    for name in FUNCTIONS:
        assert function_setting(template, name, "Runtime") == "python3.13", name
        assert function_setting(template, name, "Architectures") == ["arm64"], name
        assert {"Ref": "SharedLayer"} in function_setting(template, name, "Layers"), name


def test_handlers_and_code_locations_match_the_layout(template: dict[str, Any]) -> None:
    """Given the layout of DESIGN.md, when the template names code, then each handler lives in its folder."""
    expected = {
        "ApiFunction": ("functions/api/", "api_handler.handler"),
        "NudgeFunction": ("functions/nudges/", "nudge_handler.handler"),
        "ReportFunction": ("functions/reports/", "report_handler.handler"),
    }
    for name, (code_uri, handler) in expected.items():
        p = props(template, name)
        assert (p["CodeUri"], p["Handler"]) == (code_uri, handler), name


def test_every_function_has_a_deliberate_timeout_and_memory(template: dict[str, Any]) -> None:
    """Given each function, when its limits are read, then Timeout and MemorySize are set on the function itself."""
    for name in FUNCTIONS:
        p = props(template, name)
        assert isinstance(p.get("Timeout"), int) and 3 <= p["Timeout"] <= 900, name
        assert isinstance(p.get("MemorySize"), int) and 128 <= p["MemorySize"] <= 3008, name
    # The API is interactive: it must not be allowed to hang like a batch job.
    assert props(template, "ApiFunction")["Timeout"] <= 29


def test_every_function_gets_the_settings_the_code_reads(template: dict[str, Any]) -> None:
    """Given quarterdeck.config reads the environment, when a function starts, then every variable is set."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    required = {
        "STAGE", "TABLE_NAME", "SIGNING_SECRET_ID", "DATA_BUCKET", "PORTFOLIO_KEY", "SENDER_EMAIL",
        "ARCHIVE_EMAIL", "OWNER_EMAIL", "ADMIN_EMAILS", "APP_URL", "COOKIE_SECURE",
        "POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "LOG_LEVEL",
    }
    assert required <= set(variables), required - set(variables)
    assert variables["COOKIE_SECURE"] == "true"
    assert variables["TABLE_NAME"] == {"Ref": "Table"}
    assert variables["SIGNING_SECRET_ID"] == {"Ref": "SigningKeySecret"}
    assert variables["POWERTOOLS_METRICS_NAMESPACE"] == "Quarterdeck"


def test_the_api_answers_everything_under_slash_api(template: dict[str, Any]) -> None:
    """Given the HTTP API, when a request comes for /api or /api/..., then ApiFunction receives it."""
    events = props(template, "ApiFunction")["Events"].values()
    routes = {
        (e["Properties"]["Method"], e["Properties"]["Path"])
        for e in events
        if e["Type"] == "HttpApi" and e["Properties"].get("ApiId") == {"Ref": "HttpApi"}
    }
    assert routes == {("ANY", "/api/{proxy+}"), ("ANY", "/api")}


def test_shared_layer_is_built_by_its_makefile_for_lambda(template: dict[str, Any]) -> None:
    """Given a build machine without python3.13, when sam builds the layer, then the makefile recipe targets arm64/3.13."""
    layer = template["Resources"]["SharedLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"] == "layers/shared"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.13"]
    assert layer["Properties"]["CompatibleArchitectures"] == ["arm64"]
    makefile = (ROOT / "layers/shared/Makefile").read_text()
    assert "build-SharedLayer:" in makefile
    for flag in ("manylinux2014_aarch64", "--implementation cp", "--python-version 3.13", "--only-binary=:all:"):
        assert flag in makefile, flag


def test_built_layer_holds_lambda_platform_packages_and_no_boto3() -> None:
    """Given `sam build` ran, when the layer is inspected, then quarterdeck and aarch64 wheels are there, boto3 is not."""
    built = ROOT / ".aws-sam/build/SharedLayer/python"
    if not built.is_dir():
        pytest.skip("no sam build output here (make build)")
    assert (built / "quarterdeck" / "__init__.py").is_file()
    assert list(built.glob("pydantic_core/*aarch64*.so")), "pydantic_core is not the aarch64 build"
    assert not list(built.glob("pydantic_core/*x86_64*.so"))
    assert (built / "tzdata" / "zoneinfo" / "America" / "Los_Angeles").is_file()
    assert not (built / "boto3").exists() and not (built / "botocore").exists()


# ------------------------------------------------------------------ least privilege


def test_no_policy_allows_scan(template: dict[str, Any]) -> None:
    """Given every IAM statement, when its actions are listed, then none is Scan (or a wildcard that includes it)."""
    for name, statement in policy_statements(template):
        for action in as_list(statement.get("Action", [])):
            assert isinstance(action, str), (name, action)
            lowered = action.lower()
            assert lowered != "dynamodb:scan", name
            assert lowered not in {"*", "dynamodb:*"} and not lowered.startswith("dynamodb:sc"), (name, action)


def test_no_wildcard_resource_except_justified(template: dict[str, Any]) -> None:
    """Given every Allow statement, when its resource is "*", then all its actions have no resource-level form."""
    seen_justified = False
    for name, statement in policy_statements(template):
        if statement.get("Effect") != "Allow":
            continue
        if "*" in list(strings_in(statement.get("Resource", []))):
            actions = set(as_list(statement["Action"]))
            assert actions <= ACTIONS_WITHOUT_RESOURCE_LEVEL, (name, statement.get("Sid"), actions)
            seen_justified = True
        for action in as_list(statement.get("Action", [])):
            assert not str(action).endswith(":*") and action != "*", (name, action)
    assert seen_justified, "expected the SES quota statement (resource *) to be found by this walk"


def test_each_function_policy_only_touches_its_own_resources(template: dict[str, Any]) -> None:
    """Given the functions' jobs, when their statements are read, then only the API deletes, Nudge never uses S3."""
    by_function: dict[str, set[str]] = {name: set() for name in FUNCTIONS}
    for name, statement in policy_statements(template):
        if name in by_function:
            by_function[name] |= {str(a) for a in as_list(statement.get("Action", []))}
    assert "dynamodb:DeleteItem" in by_function["ApiFunction"]
    assert "dynamodb:DeleteItem" not in by_function["NudgeFunction"]
    assert "dynamodb:DeleteItem" not in by_function["ReportFunction"]
    assert not any(a.startswith("s3:") for a in by_function["NudgeFunction"])
    assert not any(a.startswith("s3:Put") for a in by_function["ReportFunction"])
    assert "secretsmanager:GetSecretValue" in by_function["ApiFunction"]
    for name in FUNCTIONS:
        assert {"ses:SendEmail", "ses:SendRawEmail"} <= by_function[name], name


def test_table_statements_name_the_table_and_its_index(template: dict[str, Any]) -> None:
    """Given a DynamoDB statement, when its resources are read, then they are the table ARN and gsi1 only."""
    for name, statement in policy_statements(template):
        if any(str(a).startswith("dynamodb:") for a in as_list(statement.get("Action", []))):
            resources_ = as_list(statement["Resource"])
            assert {"Fn::GetAtt": ["Table", "Arn"]} in resources_, name
            assert {"Fn::Sub": "${Table.Arn}/index/gsi1"} in resources_, name
            assert len(resources_) == 2, name


# ------------------------------------------------------------------ data


def test_table_is_on_demand_with_pitr_ttl_and_gsi1(template: dict[str, Any]) -> None:
    """Given the single table, when it is created, then it is on-demand, recoverable, expiring and indexed by gsi1."""
    p = props(template, "Table")
    assert template["Resources"]["Table"]["Type"] == "AWS::DynamoDB::Table"
    assert p["BillingMode"] == "PAY_PER_REQUEST"
    assert p["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert p["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert {k["AttributeName"]: k["KeyType"] for k in p["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    assert all(a["AttributeType"] == "S" for a in p["AttributeDefinitions"])
    (gsi,) = p["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "gsi1"
    assert {k["AttributeName"]: k["KeyType"] for k in gsi["KeySchema"]} == {"gsi1pk": "HASH", "gsi1sk": "RANGE"}
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert template["Resources"]["Table"].get("DeletionPolicy") == "Retain"


def test_signing_key_is_generated_never_in_the_repo(template: dict[str, Any]) -> None:
    """Given the JWT key secret, when it is created, then AWS generates a 64-char key beside kid k1."""
    p = props(template, "SigningKeySecret")
    assert "SecretString" not in p
    g = p["GenerateSecretString"]
    assert g["SecretStringTemplate"] == '{"kid":"k1"}'
    assert g["GenerateStringKey"] == "key"
    assert g["PasswordLength"] >= 64
    assert g["ExcludePunctuation"] is True


@pytest.mark.parametrize("bucket", ["FrontendBucket", "DataBucket"])
def test_buckets_are_private_and_encrypted(template: dict[str, Any], bucket: str) -> None:
    """Given a bucket, when it is created, then every public-access block is on, ACLs are off and SSE is on."""
    p = props(template, bucket)
    assert p["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert p["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "AccessControl" not in p and "WebsiteConfiguration" not in p
    sse = p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert sse["SSEAlgorithm"] in {"AES256", "aws:kms"}


def test_data_bucket_keeps_versions(template: dict[str, Any]) -> None:
    """Given the data bucket (portfolio, waivers), when an object is overwritten, then the old version is kept."""
    assert props(template, "DataBucket")["VersioningConfiguration"] == {"Status": "Enabled"}
    assert template["Resources"]["DataBucket"].get("DeletionPolicy") == "Retain"


# ------------------------------------------------------------------ parameters and outputs


def test_stage_and_people_are_parameters(template: dict[str, Any]) -> None:
    """Given a new deployment, when its parameters are asked, then stage, addresses and admins are among them."""
    params = template["Parameters"]
    assert params["Stage"]["AllowedValues"] == ["dev", "staging", "prod"]
    for name in ("SenderEmail", "ArchiveEmail", "OwnerEmail", "AdminEmails", "PublicUrl", "AlertEmail"):
        assert name in params, name
    assert params["AdminEmails"]["Type"] == "CommaDelimitedList"


def test_outputs_name_what_a_deployer_needs(template: dict[str, Any]) -> None:
    """Given a finished deploy, when its outputs are listed, then the API URL, table and buckets are there."""
    assert {"ApiUrl", "TableName", "FrontendBucketName", "DataBucketName"} <= set(template["Outputs"])


def test_samconfig_has_the_three_environments() -> None:
    """Given samconfig.toml, when sam deploy --config-env runs, then dev, staging and prod each name their stack."""
    import tomllib

    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    for env in ("dev", "staging", "prod"):
        deploy = config[env]["deploy"]["parameters"]
        assert deploy["stack_name"] == f"quarterdeck-{env}"
        assert deploy["region"] == "us-west-2"
        assert deploy["resolve_s3"] is True
        assert "CAPABILITY_IAM" in deploy["capabilities"]
        assert f"Stage={env}" in deploy["parameter_overrides"]
