"""Pydantic models of the API's inputs and outputs."""
