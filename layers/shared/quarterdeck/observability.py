"""The one place Logger, Metrics and Tracer are created (Powertools reads its settings from the environment)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

logger = Logger(service="quarterdeck")
metrics = Metrics(namespace="Quarterdeck", service="quarterdeck")
