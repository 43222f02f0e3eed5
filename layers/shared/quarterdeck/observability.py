"""The one place Logger and Metrics are created (Powertools reads their settings from the environment; no Tracer:
X-Ray traces come from the functions' Tracing: Active, not from our code)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="quarterdeck")
metrics = Metrics(namespace="Quarterdeck", service="quarterdeck")
