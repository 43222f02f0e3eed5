"""The trimmed botocore service models (quarterdeck.aws_models): the clients our code makes are
built from models holding only the operations it calls, and botocore is not asked to list every
service it knows while a client is created."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name
from botocore.exceptions import UnknownServiceError
from botocore.loaders import Loader

from quarterdeck import clients
from quarterdeck.aws_models import HERE, TrimmedModelsLoader
from quarterdeck.aws_models.trim import OPERATIONS, expected_models

ROOT = Path(__file__).resolve().parents[2]
APP_CODE = [ROOT / "layers" / "shared" / "quarterdeck", ROOT / "functions"]


pytestmark = pytest.mark.usefixtures("fresh_clients")  # tests/unit/conftest.py


def test_the_shipped_models_are_what_the_installed_botocore_trims_to() -> None:
    # Given the installed botocore's models, trimmed to the operations we call
    expected = expected_models()
    # Then the layer ships exactly those files (rerun `python -m quarterdeck.aws_models` after a botocore upgrade)
    shipped = {path: path.read_text(encoding="utf-8") for path in HERE.glob("*/*/service-2.json")}
    assert shipped == expected


def test_the_app_calls_no_operation_left_out_of_a_trimmed_model() -> None:
    # Given every operation of the trimmed services in botocore's full models
    loader = botocore.session.get_session().get_component("data_loader")
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in APP_CODE
        for path in folder.rglob("*.py")
        if "aws_models" not in str(path)
    )
    for service, kept in OPERATIONS.items():
        for operation in loader.load_service_model(service, "service-2")["operations"]:
            # When the app's code names it as a client method (`.get_item(`) or a Store call ("get_item")
            method = xform_name(operation)
            named = re.search(rf"\.{method}\(|[\"']{method}[\"']", source)
            # Then it is one the trimmed model keeps
            assert not named or operation in kept, f"{service}.{method} is called but not in trim.OPERATIONS"


def test_a_trimmed_services_client_has_only_our_operations_and_others_are_whole() -> None:
    # When the app's clients are made
    secrets = clients.client("secretsmanager")
    table = clients.client("dynamodb")
    bucket = clients.client("s3")
    # Then the trimmed services offer what we call, with botocore's own endpoints and errors
    assert secrets.meta.service_model.operation_names == list(OPERATIONS["secretsmanager"])
    assert set(table.meta.service_model.operation_names) == set(OPERATIONS["dynamodb"])
    assert table.meta.endpoint_url == "https://dynamodb.us-east-1.amazonaws.com"
    assert hasattr(secrets.exceptions, "ResourceNotFoundException")
    # And a service we did not trim is botocore's whole model
    assert "ListObjectsV2" in bucket.meta.service_model.operation_names


def test_the_loader_knows_the_same_services_as_botocore() -> None:
    # Given our loader and botocore's own over the same folders
    ours, theirs = TrimmedModelsLoader(), Loader(extra_search_paths=[str(HERE)])
    for type_name in ("service-2", "endpoint-rule-set-1"):
        known = ours.list_available_services(type_name)
        # Then asking about one service answers as botocore's full list does, and listing gives that list
        for name in ("dynamodb", "secretsmanager", "s3", "sesv2", "no-such-service", ""):
            assert (name in known) == (name in theirs.list_available_services(type_name))
        assert list(known) == theirs.list_available_services(type_name)


def test_an_unknown_service_is_refused_as_botocore_refuses_it() -> None:
    with pytest.raises(UnknownServiceError):
        clients.client("no-such-service")
