"""One cold start in a fresh process (run by bench.cold_start as a script; never imported).

    python bench/cold_child.py baseline
    python bench/cold_child.py clients:dynamodb,secretsmanager
    python bench/cold_child.py <handler module> <event.json>

Times, from just after the interpreter is up: importing the handler module (Lambda's init
phase) and serving the first event (the first invoke). The baseline imports boto3 and
creates one DynamoDB client; a `clients:` baseline creates the clients a function makes.
While the first event is served, the time spent inside AWS SDK calls (waiting on the
emulator, mostly) is summed too. Prints one line
`BENCH_RESULT {json}` (the handler may log to stdout too).
"""

import json
import sys
import time


class _Context:
    function_name = "bench"
    function_version = "$LATEST"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:bench"
    aws_request_id = "bench-cold-start"
    log_group_name = "/aws/lambda/bench"
    log_stream_name = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


_AWS = [0.0]


def _count_aws_time() -> None:
    from botocore.client import BaseClient

    original = BaseClient._make_api_call

    def _make_api_call(client, operation, params):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return original(client, operation, params)
        finally:
            _AWS[0] += time.perf_counter() - began

    BaseClient._make_api_call = _make_api_call  # type: ignore[method-assign]


def main() -> None:
    kind = sys.argv[1]
    event = None
    clients = kind.removeprefix("clients:").split(",") if kind.startswith("clients:") else None
    if kind != "baseline" and clients is None:
        with open(sys.argv[2], encoding="utf-8") as handle:
            event = json.load(handle)
    start = time.perf_counter()
    if kind == "baseline":
        import boto3

        boto3.client("dynamodb")
        imported = served = time.perf_counter()
        status = "ok"
    elif clients is not None:
        import boto3

        for service in clients:
            boto3.client(service)
        imported = served = time.perf_counter()
        status = "ok"
    else:
        import importlib

        module = importlib.import_module(kind)
        imported = time.perf_counter()
        _count_aws_time()  # imports botocore.client now if the handler has not yet: the same cost
        result = module.handler(event, _Context())
        served = time.perf_counter()
        status = str(result.get("statusCode", "ok")) if isinstance(result, dict) else "ok"
    heavy = sorted(name for name in ("jinja2", "astral", "pydantic", "boto3", "jwt") if name in sys.modules)
    print(
        "BENCH_RESULT "
        + json.dumps(
            {
                "import_s": imported - start,
                "first_s": served - imported,
                "total_s": served - start,
                "status": status,
                "aws_s": _AWS[0],
                "loaded": heavy,
                "modules": len(sys.modules),
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
