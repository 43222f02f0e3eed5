"""template.yaml says what we promise about the stack: least privilege, data kept, nothing public.

Each test reads the template (with cfn-lint's decoder, which understands !Ref, !Sub, !If ...)
and checks one property. They need no AWS account and no network.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "template.yaml"
WORKFLOWS = ROOT / ".github" / "workflows"

# CloudFront managed policies (fixed ids, the same in every account).
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST_HEADER = "b689b0a8-53d0-40ab-baf2-68738e2966ac"

REPORT_KINDS = {
    "ceo",
    "cto",
    "cfo",
    "cmo",
    "accounting",
    "rental",
    "yacht_delivery",
    "client_portfolio",
}

# Actions that IAM accepts only with Resource "*" (no resource-level permissions).
# Anything else with "*" as its resource fails test_no_wildcard_resource_except_justified.
ACTIONS_WITHOUT_RESOURCE_LEVEL = {
    "ses:GetSendQuota",
    "ses:GetIdentityVerificationAttributes",
    "cloudwatch:GetMetricData",  # the reports' Lambda and CloudFront figures
    "ce:GetCostAndUsage",  # the reports' cost by service
}

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
        if res["Type"] in {
            "AWS::IAM::Policy",
            "AWS::IAM::ManagedPolicy",
            "AWS::S3::BucketPolicy",
            "AWS::SQS::QueuePolicy",
            "AWS::SNS::TopicPolicy",
        }:
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
        "STAGE",
        "TABLE_NAME",
        "SIGNING_SECRET_ID",
        "DATA_BUCKET",
        "PORTFOLIO_KEY",
        "SENDER_EMAIL",
        "ARCHIVE_EMAIL",
        "OWNER_EMAIL",
        "ADMIN_EMAILS",
        "APP_URL",
        "COOKIE_SECURE",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_METRICS_NAMESPACE",
        "LOG_LEVEL",
        "PYDANTIC_DISABLE_PLUGINS",  # no plugins: a cold start skips scanning every package's entry points
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
    """Given a machine without python3.13, when sam builds the layer, then the makefile recipe targets arm64/3.13."""
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
    """Given `sam build` ran, when the layer is inspected, then quarterdeck and aarch64 wheels are in, boto3 is not."""
    built = ROOT / ".aws-sam/build/SharedLayer/python"
    if not built.is_dir():
        pytest.skip("no sam build output here (make build)")
    assert (built / "quarterdeck" / "__init__.py").is_file()
    assert list(built.glob("pydantic_core/*aarch64*.so")), "pydantic_core is not the aarch64 build"
    assert not list(built.glob("pydantic_core/*x86_64*.so"))
    assert (built / "tzdata" / "zoneinfo" / "America" / "Los_Angeles").is_file()
    assert not (built / "boto3").exists() and not (built / "botocore").exists()


@pytest.mark.parametrize(("artifact", "package"), [("SharedLayer/python", "quarterdeck"), ("ApiFunction", ".")])
def test_built_code_ships_unchecked_bytecode_for_the_runtime_python(artifact: str, package: str) -> None:
    """Given `sam build` ran where python3.13 is, then every module of ours, in the layer and in
    ApiFunction, has a 3.13 .pyc whose header says unchecked-hash (used whatever the timestamps
    after zipping): /opt and /var/task are read-only, so Lambda would compile them at each cold start."""
    built = ROOT / ".aws-sam/build" / artifact
    if not built.is_dir():
        pytest.skip("no sam build output here (make build)")
    compiled = list(built.glob(f"{package}/**/__pycache__/*.cpython-313.pyc"))
    if not compiled:
        pytest.skip("built without python3.13: no bytecode shipped (the build said so)")
    sources = [p for p in built.glob(f"{package}/**/*.py") if "__pycache__" not in p.parts]
    assert len(compiled) >= len(sources) * 0.95, (len(compiled), len(sources))
    for pyc in compiled[:20]:
        flags = int.from_bytes(pyc.read_bytes()[4:8], "little")
        assert flags == 0b01, (pyc, flags)  # hash-based, not checked against the source


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
    """Given the functions' jobs, when their statements are read, then reports never delete, and nudges
    touch S3 only to read and store signed waiver copies (the owed ones they finish)."""
    by_function: dict[str, set[str]] = {name: set() for name in FUNCTIONS}
    for name, statement in policy_statements(template):
        if name in by_function:
            by_function[name] |= {str(a) for a in as_list(statement.get("Action", []))}
    assert "dynamodb:DeleteItem" in by_function["ApiFunction"]
    assert "dynamodb:DeleteItem" not in by_function["ReportFunction"]
    assert {a for a in by_function["NudgeFunction"] if a.startswith("s3:")} == {"s3:GetObject", "s3:PutObject"}
    nudge_s3 = [
        st
        for name, st in policy_statements(template)
        if name == "NudgeFunction" and any(str(a).startswith("s3:") for a in as_list(st.get("Action", [])))
    ]
    assert [st["Resource"] for st in nudge_s3] == [{"Fn::Sub": "${DataBucket.Arn}/waivers/*"}]
    assert not any(a.startswith("s3:Put") for a in by_function["ReportFunction"])
    # The report preview in the API reads no CloudWatch or Cost Explorer figures (billed per call)
    assert not any(a.startswith(("cloudwatch:", "ce:")) for a in by_function["ApiFunction"])
    assert "secretsmanager:GetSecretValue" in by_function["ApiFunction"]
    assert "secretsmanager:GetSecretValue" in by_function["NudgeFunction"]  # unsubscribe links
    assert "secretsmanager:GetSecretValue" not in by_function["ReportFunction"]
    for name in FUNCTIONS:
        assert {"ses:SendEmail", "ses:SendRawEmail"} <= by_function[name], name


def test_only_the_api_may_invoke_a_function_and_only_report_function(template: dict[str, Any]) -> None:
    """Given send-now hands the report to ReportFunction, when the policies are read, then
    ApiFunction may invoke exactly ReportFunction (by its fixed name, so no circular reference)
    and no function may invoke anything else."""
    report_name = props(template, "ReportFunction")["FunctionName"]
    # ReportFunction's name is fixed by the stack's name...
    assert report_name == {"Fn::Sub": "${AWS::StackName}-reports"}
    # ...and that is the name the API is given
    api_variables = props(template, "ApiFunction")["Environment"]["Variables"]
    assert api_variables["REPORT_FUNCTION_NAME"] == report_name
    invokes = [
        (name, st)
        for name, st in policy_statements(template)
        if any(str(a).lower().startswith("lambda:") for a in as_list(st.get("Action", [])))
    ]
    # Then two statements grant it, both to ApiFunction, for lambda:InvokeFunction alone: the
    # report function by its name, and itself (a login link is mailed after the answer, issue 20)
    # by its generated name's prefix (its own !GetAtt would be a circular reference)
    assert [name for name, _ in invokes] == ["ApiFunction", "ApiFunction"]
    by_sid = {str(st.get("Sid")): st for _, st in invokes}
    assert set(by_sid) == {"SendReportNow", "SendLoginLinkAfterAnswer"}
    for statement in by_sid.values():
        assert statement["Effect"] == "Allow" and "Condition" not in statement
        assert as_list(statement["Action"]) == ["lambda:InvokeFunction"]
    statement = by_sid["SendReportNow"]
    # on that one function (no wildcard, no other function, no version or alias pattern)
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-reports"
    }
    own = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-ApiFunction-*"
    assert by_sid["SendLoginLinkAfterAnswer"]["Resource"] == {"Fn::Sub": own}
    # And the function it invokes keeps its retry and dead-letter settings for those events
    report = props(template, "ReportFunction")
    assert report["EventInvokeConfig"]["MaximumRetryAttempts"] >= 1
    assert report["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["ReportDeadLetterQueue", "Arn"]}


def test_nudges_delete_only_their_own_markers(template: dict[str, Any]) -> None:
    """Given a failed nudge send, when the claim is freed, then only NUDGE# partitions can be deleted."""
    deletes = [
        st
        for name, st in policy_statements(template)
        if name == "NudgeFunction" and "dynamodb:DeleteItem" in as_list(st["Action"])
    ]
    assert len(deletes) == 1
    (statement,) = deletes
    assert as_list(statement["Action"]) == ["dynamodb:DeleteItem"]
    leading = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
    assert as_list(leading) == ["NUDGE#*"]


def test_table_statements_name_the_table_and_its_index(template: dict[str, Any]) -> None:
    """Given a DynamoDB statement, when its resources are read, then they are the table ARN and gsi1 only."""
    for name, statement in policy_statements(template):
        if any(str(a).startswith("dynamodb:") for a in as_list(statement.get("Action", []))):
            if statement.get("Sid") in {"FreeNudgeClaims", "ReportSourcesTable", "DeliveryLogWrite"}:
                assert statement["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
                continue
            resources_ = as_list(statement["Resource"])
            assert {"Fn::GetAtt": ["Table", "Arn"]} in resources_, name
            assert {"Fn::Sub": "${Table.Arn}/index/gsi1"} in resources_, name
            assert len(resources_) == 2, name


def test_report_function_reads_its_sources_with_only_the_read_actions_they_need(template: dict[str, Any]) -> None:
    """Given the reports' sources (CloudWatch, DynamoDB, Cost Explorer, the notes in S3), when
    ReportFunction's policy is read, then it grants exactly the read actions each needs, each on
    the narrowest resource IAM accepts, and nothing else."""
    statements = {st.get("Sid"): st for name, st in policy_statements(template) if name == "ReportFunction"}
    granted = {str(a) for st in statements.values() for a in as_list(st["Action"])}
    # Then every action the function has is one of these: its table reads and writes, the mail,
    # and the sources' reads (no Put/Delete/Describe* beyond DescribeTable, no other service).
    assert granted == {
        "dynamodb:GetItem",
        "dynamodb:BatchGetItem",
        "dynamodb:Query",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:ConditionCheckItem",
        "ses:SendEmail",
        "ses:SendRawEmail",
        "ses:GetSendQuota",
        "ses:GetIdentityVerificationAttributes",
        "s3:GetObject",
        "s3:ListBucket",
        "dynamodb:DescribeTable",
        "cloudwatch:GetMetricData",
        "ce:GetCostAndUsage",
    }
    # CloudWatch and Cost Explorer: one read action each, "*" only because IAM accepts nothing else.
    assert as_list(statements["ReportSourcesMetrics"]["Action"]) == ["cloudwatch:GetMetricData"]
    assert statements["ReportSourcesMetrics"]["Resource"] == "*"
    assert as_list(statements["ReportSourcesCost"]["Action"]) == ["ce:GetCostAndUsage"]
    assert statements["ReportSourcesCost"]["Resource"] == "*"
    # DynamoDB: DescribeTable on the table itself (not its index, not every table).
    assert as_list(statements["ReportSourcesTable"]["Action"]) == ["dynamodb:DescribeTable"]
    assert statements["ReportSourcesTable"]["Resource"] == {"Fn::GetAtt": ["Table", "Arn"]}
    # S3: list the data bucket for the notes/ prefix only; read the portfolio and the notes only.
    listing = statements["ReportSourcesNotesList"]
    assert as_list(listing["Action"]) == ["s3:ListBucket"]
    assert listing["Resource"] == {"Fn::GetAtt": ["DataBucket", "Arn"]}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["notes/*"]}}
    reads = [st for st in statements.values() if "s3:GetObject" in as_list(st["Action"])]
    assert len(reads) == 1 and as_list(reads[0]["Action"]) == ["s3:GetObject"]
    assert as_list(reads[0]["Resource"]) == [
        {"Fn::Sub": "${DataBucket.Arn}/${PortfolioKey}"},
        {"Fn::Sub": "${DataBucket.Arn}/notes/*"},
    ]
    # And the function is told which functions and which distribution to read.
    variables = props(template, "ReportFunction")["Environment"]["Variables"]
    names = variables["FUNCTION_NAMES"]["Fn::Sub"]
    assert "api=${ApiFunction}" in names and "nudges=${NudgeFunction}" in names
    assert "reports=$AWS_LAMBDA_FUNCTION_NAME" in names
    assert variables["DISTRIBUTION_ID"] == {"Ref": "Distribution"}


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
        # Only prod emails people on a schedule.
        expected_state = "ENABLED" if env == "prod" else "DISABLED"
        assert f"SchedulesState={expected_state}" in deploy["parameter_overrides"]


# ------------------------------------------------------------------ front door (issue 9)


def distribution_config(template: dict[str, Any]) -> dict[str, Any]:
    (name,) = resources(template, "AWS::CloudFront::Distribution")
    return dict(props(template, name)["DistributionConfig"])


def csp_directives(template: dict[str, Any]) -> dict[str, list[str]]:
    config = props(template, "SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]
    text = config["SecurityHeadersConfig"]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives: dict[str, list[str]] = {}
    for part in str(text).split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def test_frontend_bucket_is_read_only_by_this_distribution_through_oac(
    template: dict[str, Any],
) -> None:
    """Given the private frontend bucket, when anyone but our distribution asks, then the policy allows nothing."""
    oac = props(template, "FrontendOriginAccessControl")["OriginAccessControlConfig"]
    assert oac["OriginAccessControlOriginType"] == "s3"
    assert (oac["SigningBehavior"], oac["SigningProtocol"]) == ("always", "sigv4")

    origins = {o["Id"]: o for o in distribution_config(template)["Origins"]}
    frontend = origins["frontend"]
    assert frontend["DomainName"] == {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]}
    assert frontend["OriginAccessControlId"] == {"Fn::GetAtt": ["FrontendOriginAccessControl", "Id"]}
    assert frontend["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # OAC, not the legacy OAI

    policy = props(template, "FrontendBucketPolicy")
    assert policy["Bucket"] == {"Ref": "FrontendBucket"}
    allows = [st for st in policy["PolicyDocument"]["Statement"] if st["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]
    assert "distribution/${Distribution}" in source_arn["Fn::Sub"]


def test_no_resource_policy_allows_everyone(template: dict[str, Any]) -> None:
    """Given every bucket, queue and topic policy, when a statement names Principal "*", then it is a Deny."""
    for name, statement in policy_statements(template):
        if statement.get("Principal") in ("*", {"AWS": "*"}):
            assert statement["Effect"] == "Deny", name


@pytest.mark.parametrize("bucket", ["FrontendBucket", "DataBucket"])
def test_buckets_refuse_requests_without_tls(template: dict[str, Any], bucket: str) -> None:
    """Given a bucket, when a request arrives over plain HTTP, then its policy denies it."""
    (policy,) = [
        p for p in resources(template, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    denies = [
        st
        for st in policy["Properties"]["PolicyDocument"]["Statement"]
        if st["Effect"] == "Deny" and st.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
    ]
    assert denies, f"{bucket} has no TLS-only statement"
    assert denies[0]["Action"] == "s3:*"


def test_security_headers_policy_is_attached_to_every_behavior(template: dict[str, Any]) -> None:
    """Given the distribution, when any path is served (site or API), then the security headers policy applies."""
    config = distribution_config(template)
    behaviors = [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]
    for behavior in behaviors:
        assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SecurityHeadersPolicy"}
        assert behavior["ViewerProtocolPolicy"] in {"redirect-to-https", "https-only"}


def test_csp_is_strict_and_allows_no_inline_code(template: dict[str, Any]) -> None:
    """Given the CSP, when the browser loads the site, then only same-origin scripts and styles may run."""
    csp = csp_directives(template)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    everything = " ".join(" ".join(v) for v in csp.values())
    assert "unsafe-inline" not in everything and "unsafe-eval" not in everything
    assert "*" not in everything


def test_other_security_headers(template: dict[str, Any]) -> None:
    """Given the headers policy, when a response leaves CloudFront, then HSTS, nosniff, DENY, referrer policy apply."""
    headers = props(template, "SecurityHeadersPolicy")["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["StrictTransportSecurity"]["Override"] is True
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] in {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
    }
    for part in ("ContentSecurityPolicy", "FrameOptions", "ReferrerPolicy"):
        assert headers[part]["Override"] is True, part


def test_api_behavior_is_uncached_and_forwards_viewer_headers(template: dict[str, Any]) -> None:
    """Given /api/*, when CloudFront forwards a request, then nothing is cached and all but Host reaches the API."""
    config = distribution_config(template)
    (api,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    assert api["TargetOriginId"] == "api"
    assert api["CachePolicyId"] == CACHING_DISABLED
    assert api["OriginRequestPolicyId"] == ALL_VIEWER_EXCEPT_HOST_HEADER
    assert {"GET", "POST", "PATCH", "PUT", "DELETE", "OPTIONS"} <= set(api["AllowedMethods"])
    origins = {o["Id"]: o for o in config["Origins"]}
    assert origins["api"]["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert "${HttpApi}" in origins["api"]["DomainName"]["Fn::Sub"]
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "frontend"
    assert config["DefaultCacheBehavior"]["CachePolicyId"] == CACHING_OPTIMIZED


def test_custom_domain_and_waf_are_optional(template: dict[str, Any]) -> None:
    """Given no domain and no WAF parameters, when deployed, then the distribution uses its own name and no ACL."""
    config = distribution_config(template)
    assert config["Aliases"]["Fn::If"][0] == "HasCustomDomain"
    cert = config["ViewerCertificate"]["Fn::If"]
    assert cert[0] == "HasCustomDomain"
    assert cert[1]["MinimumProtocolVersion"].startswith("TLSv1.2")
    assert cert[2] == {"CloudFrontDefaultCertificate": True}
    assert config["WebACLId"]["Fn::If"][0] == "CreateWebAcl"
    acl = template["Resources"]["WebAcl"]
    assert acl["Condition"] == "CreateWebAcl"
    assert acl["Properties"]["Scope"] == "CLOUDFRONT"
    assert any("RateBasedStatement" in r["Statement"] for r in acl["Properties"]["Rules"])


# ------------------------------------------------------------------ hardening (issue 9)


def test_http_api_is_throttled(template: dict[str, Any]) -> None:
    """Given a flood of requests, when they reach the HTTP API, then the default route throttles them."""
    settings = props(template, "HttpApi")["DefaultRouteSettings"]
    assert settings["ThrottlingRateLimit"] and settings["ThrottlingBurstLimit"]
    assert props(template, "HttpApi")["AccessLogSettings"]["DestinationArn"]


def test_every_function_logs_to_a_retained_group_and_traces(template: dict[str, Any]) -> None:
    """Given each function, when it logs, then its own log group with a retention receives it, and X-Ray traces it."""
    for name in FUNCTIONS:
        group = props(template, name)["LoggingConfig"]["LogGroup"]
        assert group == {"Ref": f"{name}LogGroup"}, name
        assert props(template, f"{name}LogGroup")["RetentionInDays"], name
        assert function_setting(template, name, "Tracing") == "Active", name
    for name in resources(template, "AWS::Logs::LogGroup"):
        assert props(template, name).get("RetentionInDays"), name


def alarm_metrics(template: dict[str, Any]) -> dict[str, tuple[str, str, Any]]:
    out = {}
    for name, alarm in resources(template, "AWS::CloudWatch::Alarm").items():
        p = alarm["Properties"]
        assert {"Ref": "AlarmTopic"} in p["AlarmActions"], f"{name} notifies nobody"
        dims = {d["Name"]: d["Value"] for d in p["Dimensions"]}
        target = dims.get("FunctionName") or dims.get("QueueName") or dims.get("ApiId")
        out[name] = (p["Namespace"], p["MetricName"], target)
    return out


def test_alarms_watch_errors_and_dead_letters_and_notify_the_topic(template: dict[str, Any]) -> None:
    """Given failures, when a function errs or a DLQ fills, then an alarm tells the AlarmTopic (and AlertEmail)."""
    watched = list(alarm_metrics(template).values())
    for name in FUNCTIONS:
        assert ("AWS/Lambda", "Errors", {"Ref": name}) in watched, name
    for queue in resources(template, "AWS::SQS::Queue"):
        assert (
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            {"Fn::GetAtt": [queue, "QueueName"]},
        ) in watched, queue
    assert ("AWS/ApiGateway", "5xx", {"Ref": "HttpApi"}) in watched
    sub = template["Resources"]["AlarmEmailSubscription"]
    assert sub["Properties"]["Endpoint"] == {"Ref": "AlertEmail"}
    assert sub["Properties"]["TopicArn"] == {"Ref": "AlarmTopic"}


def test_api_ships_by_canary_with_rollback_alarms(template: dict[str, Any]) -> None:
    """Given a new API version in staging/prod, when it deploys, then 10 % of traffic tries it; alarms roll it back."""
    p = props(template, "ApiFunction")
    assert p["AutoPublishAlias"] == "live"
    preference = p["DeploymentPreference"]
    assert preference["Type"] == {"Fn::If": ["IsDev", "AllAtOnce", "Canary10Percent5Minutes"]}
    alarms = preference["Alarms"]
    assert {"Ref": "ApiErrorsAlarm"} in alarms
    for alarm in alarms:
        assert template["Resources"][alarm["Ref"]]["Type"] == "AWS::CloudWatch::Alarm"
    dims = {d["Name"]: d["Value"] for d in props(template, "ApiErrorsAlarm")["Dimensions"]}
    assert dims["Resource"] == {"Fn::Sub": "${ApiFunction}:live"}


def test_scheduled_functions_retry_and_dead_letter(template: dict[str, Any]) -> None:
    """Given a scheduled run that fails, when retries run out, then the event lands in that function's DLQ."""
    for name, queue in (("NudgeFunction", "NudgeDeadLetterQueue"), ("ReportFunction", "ReportDeadLetterQueue")):
        p = props(template, name)
        assert p["DeadLetterQueue"] == {"Type": "SQS", "TargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
        assert p["EventInvokeConfig"]["MaximumRetryAttempts"] >= 1
        for event in p["Events"].values():
            assert event["Type"] == "ScheduleV2", name
            e = event["Properties"]
            assert e["ScheduleExpressionTimezone"] == "America/Los_Angeles"
            assert e["RetryPolicy"]["MaximumRetryAttempts"] >= 1
            assert e["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
            assert e.get("OmitName") is True  # names stay unique across stacks in one account


def test_nudges_run_hourly(template: dict[str, Any]) -> None:
    """Given the nudge schedule, when an hour starts in San Diego, then NudgeFunction runs."""
    events = props(template, "NudgeFunction")["Events"]
    expressions = {e["Properties"]["ScheduleExpression"] for e in events.values()}
    assert expressions == {"cron(0 * * * ? *)"}


def test_each_report_kind_has_its_own_schedule(template: dict[str, Any]) -> None:
    """Given the eight report kinds, when their schedules fire, then each sends {"kind": ...} on its own day."""
    import json

    by_kind = {}
    for event in props(template, "ReportFunction")["Events"].values():
        e = event["Properties"]
        by_kind[json.loads(e["Input"])["kind"]] = e["ScheduleExpression"]
    assert set(by_kind) == REPORT_KINDS
    # Two minutes apart: concurrent runs would share SES's per-second rate (1/s in the sandbox)
    mondays = ("ceo", "cto", "cfo", "cmo", "accounting", "client_portfolio")
    assert [by_kind[kind] for kind in mondays] == [f"cron({m} 7 ? * MON *)" for m in (0, 2, 4, 6, 8, 10)]
    assert by_kind["rental"] == "cron(12 7 1 * ? *)"  # the 1st may be a Monday
    assert by_kind["yacht_delivery"] == "cron(0 7 ? * FRI *)"


def test_the_reports_page_shows_each_kinds_schedule_as_the_template_fires_it(template: dict[str, Any]) -> None:
    """Given the schedules, when GET /api/reports shows a kind's time, then it is the cron's hour and minute."""
    import json

    from quarterdeck.reports import KINDS

    for event in props(template, "ReportFunction")["Events"].values():
        e = event["Properties"]
        minute, hour = e["ScheduleExpression"].removeprefix("cron(").split()[:2]
        kind = json.loads(e["Input"])["kind"]
        assert KINDS[kind].schedule.endswith(f"{int(hour):02d}:{int(minute):02d}"), kind


def test_prod_table_cannot_be_deleted(template: dict[str, Any]) -> None:
    """Given the prod stage, when someone deletes the table, then deletion protection refuses."""
    assert props(template, "Table")["DeletionProtectionEnabled"] == {"Fn::If": ["IsProd", True, False]}
    assert template["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


def test_mail_goes_through_a_configuration_set_that_suppresses_bounces(template: dict[str, Any]) -> None:
    """Given an address that bounced or complained, when a function mails it again, then SES suppresses the send."""
    p = props(template, "MailConfigurationSet")
    assert set(p["SuppressionOptions"]["SuppressedReasons"]) == {"BOUNCE", "COMPLAINT"}
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["SES_CONFIGURATION_SET"] == {"Ref": "MailConfigurationSet"}


def test_every_checkov_skip_gives_its_reason(template: dict[str, Any]) -> None:
    """Given a checkov skip, when a reviewer reads the resource, then a reason of some substance sits beside it."""
    skips = 0
    for name, res in template["Resources"].items():
        for skip in res.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert str(skip["id"]).startswith("CKV"), name
            assert len(str(skip.get("comment", ""))) >= 40, (name, skip["id"])
    assert skips, "expected the documented skips to be found"


# ------------------------------------------------------------------ CI/CD (issue 9)


def load_workflow(name: str) -> dict[Any, Any]:
    import yaml

    path = WORKFLOWS / name
    if not path.is_file():
        pytest.fail(f"missing workflow {path}")
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def test_pull_requests_run_make_test() -> None:
    """Given a pull request, when CI runs, then it runs make test."""
    ci = load_workflow("ci.yml")
    assert "pull_request" in ci["on"]
    runs = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert any("make test" in run for run in runs)


def test_deploy_uses_oidc_and_a_production_approval() -> None:
    """Given a push to main, when the deploy runs, then credentials come from OIDC and prod waits for approval."""
    text = (WORKFLOWS / "deploy.yml").read_text()
    deploy = load_workflow("deploy.yml")
    assert "aws-access-key-id" not in text and "AWS_SECRET_ACCESS_KEY" not in text
    assert "aws-actions/configure-aws-credentials" in text and "role-to-assume" in text
    jobs = deploy["jobs"]
    environments = {
        (job.get("environment") or {}).get("name")
        if isinstance(job.get("environment"), dict)
        else job.get("environment")
        for job in jobs.values()
    }
    assert "production" in environments
    deploying = [
        job for job in jobs.values() if any("sam deploy" in step.get("run", "") for step in job.get("steps", []))
    ]
    assert len(deploying) == 2  # staging, then production
    for job in deploying:
        assert job["permissions"]["id-token"] == "write"
        assert job.get("needs"), "a deploy must wait for the tests"
    assert "--config-env staging" in text and "--config-env prod" in text


def _secrets_readable_by(template: dict[str, Any], function: str) -> set[str]:
    readable: set[str] = set()
    for policy in props(template, function).get("Policies", []):
        for statement in (policy.get("Statement") or []) if isinstance(policy, dict) else []:
            actions = statement.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            if "secretsmanager:GetSecretValue" in actions:
                resources = statement["Resource"]
                for resource in resources if isinstance(resources, list) else [resources]:
                    readable.add(resource["Ref"])
    return readable


def test_each_function_reads_only_the_secrets_it_uses(template: dict[str, Any]) -> None:
    """Given the three functions, then only ApiFunction holds the session-signing key: NudgeFunction
    signs unsubscribe links with their own key, ReportFunction reads no secret."""
    assert _secrets_readable_by(template, "ApiFunction") == {
        "SigningKeySecret",
        "UnsubscribeKeySecret",
        "OriginVerifySecret",
    }
    assert _secrets_readable_by(template, "NudgeFunction") == {"UnsubscribeKeySecret"}
    assert _secrets_readable_by(template, "ReportFunction") == set()


def test_the_api_answers_only_requests_that_came_through_cloudfront(template: dict[str, Any]) -> None:
    """Given the distribution's API origin, then it sends the origin secret as a header, and
    ApiFunction is told which secret to compare it with (api_gate refuses a request without it)."""
    origins = {o["Id"]: o for o in props(template, "Distribution")["DistributionConfig"]["Origins"]}
    headers = {h["HeaderName"]: h["HeaderValue"] for h in origins["api"]["OriginCustomHeaders"]}
    assert "OriginVerifySecret" in json.dumps(headers["X-Quarterdeck-Origin"])
    variables = props(template, "ApiFunction")["Environment"]["Variables"]
    assert variables["ORIGIN_SECRET_ID"] == {"Ref": "OriginVerifySecret"}


def test_the_access_log_keeps_no_path(template: dict[str, Any]) -> None:
    """The calendar feed's secret is in its path: the access log records the route key instead."""
    log_format = props(template, "HttpApi")["AccessLogSettings"]["Format"]
    assert "$context.path" not in log_format
    assert "$context.routeKey" in log_format


def test_ses_events_reach_mail_event_function_which_only_writes_the_delivery_log(template: dict[str, Any]) -> None:
    """Given SES's delivery, bounce and complaint events (issue 22), when the template is read,
    then the configuration set sends them to EventBridge's default bus, MailEventFunction's rule
    takes this configuration set's from there, and the function may only put items in the
    delivery log's and suppression list's partitions; its errors and dead letters alarm."""
    (destination,) = [
        props(template, name) for name in resources(template, "AWS::SES::ConfigurationSetEventDestination")
    ]
    assert destination["ConfigurationSetName"] == {"Ref": "MailConfigurationSet"}
    events = destination["EventDestination"]
    assert events["Enabled"] is True and sorted(events["MatchingEventTypes"]) == ["bounce", "complaint", "delivery"]
    assert events["EventBridgeDestination"]["EventBusArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
    }
    function = props(template, "MailEventFunction")
    rule = function["Events"]["SesEvents"]
    assert rule["Type"] == "EventBridgeRule"
    pattern = rule["Properties"]["Pattern"]
    assert pattern["source"] == ["aws.ses"]
    assert pattern["detail"]["mail"]["tags"]["ses:configuration-set"] == [{"Ref": "MailConfigurationSet"}]
    statements = [st for name, st in policy_statements(template) if name == "MailEventFunction"]
    assert [st["Action"] for st in statements] == ["dynamodb:PutItem"]
    assert statements[0]["Condition"] == {
        "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["MAIL#*", "SUPPRESSIONS"]}
    }
    watched = list(alarm_metrics(template).values())
    assert ("AWS/Lambda", "Errors", {"Ref": "MailEventFunction"}) in watched
    assert function["DeadLetterQueue"]["TargetArn"] == {"Fn::GetAtt": ["MailEventDeadLetterQueue", "Arn"]}
