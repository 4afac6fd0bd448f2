"""The AWS half of the local stack: an in-process moto server provisioned like the CDK stack, what moto leaves
out (trust policies on AssumeRole, CloudTrail lookups), and the pool's users with the post-confirmation trigger."""
