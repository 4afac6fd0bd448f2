"""The shared Powertools observability objects (one of each, reused by every function)."""

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "cloudivize"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE)
