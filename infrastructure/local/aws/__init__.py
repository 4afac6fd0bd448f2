"""The AWS half of the local stack: a moto server in a process of its own, provisioned like the CDK stack, with what
moto leaves out (trust policies on AssumeRole, CloudTrail lookups, app clients' write attributes) applied there,
and the pool's users with the post-confirmation trigger."""
