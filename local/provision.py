"""Create the table, secret, buckets and sender identity from template.yaml itself,
so there is no second list of resources to keep in sync."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import boto3
from cfnlint.decode import decode

from local.environment import (
    DATA_BUCKET,
    FRONTEND_BUCKET,
    REGION,
    ROOT,
    SECRET_NAME,
    SENDER,
    TABLE_NAME,
    UNSUBSCRIBE_SECRET_NAME,
)

TEMPLATE = ROOT / "template.yaml"


def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    template, matches = decode(str(path))
    if template is None:
        raise RuntimeError(f"cannot read {path}: {matches}")
    return dict(template)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource.get("Properties", {})
        for name, resource in template.get("Resources", {}).items()
        if resource.get("Type") == kind
    }


def create_table(properties: dict[str, Any], name: str = TABLE_NAME) -> None:
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": properties["KeySchema"],
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "BillingMode": properties.get("BillingMode", "PAY_PER_REQUEST"),
    }
    if properties.get("GlobalSecondaryIndexes"):
        request["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    dynamodb.create_table(**request)
    ttl = properties.get("TimeToLiveSpecification")
    if ttl:
        dynamodb.update_time_to_live(
            TableName=name, TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True}
        )


def create_signing_secret(properties: dict[str, Any], name: str = SECRET_NAME) -> None:
    generate = properties.get("GenerateSecretString", {})
    secret = json.loads(generate.get("SecretStringTemplate", "{}"))
    secret[generate.get("GenerateStringKey", "key")] = secrets.token_urlsafe(48)
    boto3.client("secretsmanager", region_name=REGION).create_secret(Name=name, SecretString=json.dumps(secret))


def provision(template_path: Path = TEMPLATE) -> None:
    """Create every resource the handlers need on the moto server AWS_ENDPOINT_URL points at."""
    template = load_template(template_path)
    tables = _resources(template, "AWS::DynamoDB::Table")
    create_table(tables["Table"])
    secrets_in_template = _resources(template, "AWS::SecretsManager::Secret")
    create_signing_secret(secrets_in_template["SigningKeySecret"])
    create_signing_secret(secrets_in_template["UnsubscribeKeySecret"], UNSUBSCRIBE_SECRET_NAME)
    buckets = _resources(template, "AWS::S3::Bucket")
    s3 = boto3.client("s3", region_name=REGION)
    for logical, name in (("FrontendBucket", FRONTEND_BUCKET), ("DataBucket", DATA_BUCKET)):
        if logical in buckets:
            s3.create_bucket(Bucket=name)
    boto3.client("ses", region_name=REGION).verify_email_identity(EmailAddress=SENDER)
