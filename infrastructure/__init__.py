"""Cloudivize infrastructure: the CDK stack and the local emulator of it."""
