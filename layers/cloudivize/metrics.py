"""The business metrics an operator watches (CloudWatch EMF through Powertools, flushed per invocation).

Connections created / verified / failing verification, by provider; AssumeRole refusals; sealed fields that
did not open; actions on assets by outcome. Names only and a provider dimension: never a tenant, an id or a
secret (metrics are not per-customer records).
"""

from __future__ import annotations

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.metrics.functions import is_metrics_disabled

from cloudivize.observability import metrics


def count(name: str, value: int = 1, *, provider: str | None = None) -> None:
    if is_metrics_disabled():
        return  # Powertools keeps (and never flushes) what is added while disabled: add nothing
    if provider is not None and metrics.dimension_set.get("provider") != provider:
        metrics.add_dimension(name="provider", value=provider)
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def count_connection_event(name: str, provider: str) -> None:
    count(name, provider=provider)
