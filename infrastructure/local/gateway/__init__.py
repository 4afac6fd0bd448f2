"""The API Gateway half of the local stack: an HTTP server that verifies the Cognito ID token as the authorizer
does, turns each request into a REST API proxy event, invokes the function and translates its result."""
