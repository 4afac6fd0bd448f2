"""The local stack: Cloudivize on one machine, without AWS (DESIGN §7).

An in-process AWS emulator (moto server) provisioned like the CDK stack, and an HTTP server that plays
API Gateway: it verifies the Cognito ID token as the Cognito authorizer would, turns each request into a
REST API proxy event and invokes the same Lambda handlers CDK deploys. ``python -m infrastructure.local``
is the command line.
"""
