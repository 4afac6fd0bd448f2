"""Reaching customers' Azure subscriptions: an application (directory id, application id, secret) with a role.

Cloudivize signs in as the customer's application with azure-identity (a token for Azure Resource Manager),
lists what the application's role lets it see, and acts only where the role allows; Azure's own error codes
become messages the customer can act on (``failures``). Nothing here is imported by AWS-only code paths: the
Azure SDK loads when an Azure connection is used.
"""
