"""The schedule's function: reconciles every AWS organization connection of every organization with its AWS
organization (new accounts become member connections, accounts that left are marked, suspended ones flagged)."""

from cloudivize.organization_sync import scheduled_sync_handler

lambda_handler = scheduled_sync_handler
