"""The one place Logger and Metrics are created. Their service ("quarterdeck") and metrics
namespace ("Quarterdeck") are set here; Powertools takes the rest from the environment: the
log level (LOG_LEVEL) and, on the local stack, POWERTOOLS_METRICS_DISABLED. No Tracer: X-Ray
traces come from the functions' `Tracing: Active` (template.yaml), not from our code."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="quarterdeck")
metrics = Metrics(namespace="Quarterdeck", service="quarterdeck")
