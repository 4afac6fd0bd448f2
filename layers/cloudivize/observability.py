"""The shared Powertools observability objects (one of each, reused by every function)."""

import warnings

from aws_lambda_powertools import Logger, Metrics, Tracer

SERVICE = "cloudivize"

logger = Logger(service=SERVICE)
tracer = Tracer(service=SERVICE)
metrics = Metrics(service=SERVICE)

# A request that counted nothing is normal (a read): not worth a warning per invocation.
warnings.filterwarnings("ignore", message="No application metrics to publish")
