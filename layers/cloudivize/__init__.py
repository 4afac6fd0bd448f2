"""Cloudivize shared code (the Lambda layer): models, tenancy, crypto, repository, cloud access, errors."""
