"""The local stack: Cloudivize on one machine, without AWS (docs/architecture.md, "Local stack").

Two halves: ``aws`` (the AWS emulator, a moto server in a process of its own, provisioned like the CDK stack)
and ``gateway`` (an HTTP server that plays API Gateway: it verifies the Cognito ID token as the Cognito
authorizer would, turns each request into a REST API proxy event and invokes the same Lambda handlers CDK
deploys). What both use sits here: the Lambda runtime, the trigger events, the customer account seeding, and the
stack that starts them all. ``python -m infrastructure.local`` is the command line.
"""
