"""How an invitation reaches its addressee: emailed with SES from the stack's sender identity, or, where the
stack has none (the local stack, or a deployment without ``cloudivize:invitationSender``), one log line that
the operator passes on. The invitation id is the invitation's secret: this is the only place it leaves the API
besides the answers to its organization's admins and to its addressee."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3

from cloudivize.observability import logger
from cloudivize.roles import Role
from cloudivize.store.invitations import Invitation

SUBJECT = "You are invited to {organization} on Cloudivize"
BODY = """{inviter} invited you to {organization} on Cloudivize, as {role}.

Sign in to Cloudivize as {email} and accept the invitation:

    POST /invitations/{invitation_id}/accept

(your pending invitations: GET /me/invitations). It expires on {expires} UTC and works once.
If you did not expect it, ignore this message.
"""


@cache
def _ses(region: str) -> Any:
    return boto3.client("sesv2", region_name=region)


def accept_path(invitation: Invitation) -> str:
    return f"/invitations/{invitation.invitation_id}/accept"


class InvitationMail:
    def __init__(self, sender: str | None, region: str) -> None:
        self._sender = sender
        self._region = region

    def send(self, invitation: Invitation, *, organization: str, inviter: str) -> None:
        """Deliver ``invitation``; raises botocore's errors when SES refuses it."""
        if self._sender is None:
            logger.info(
                f"Invitation for {invitation.email} to {organization}: accept with POST {accept_path(invitation)}"
            )
            return
        text = BODY.format(
            inviter=inviter,
            organization=organization,
            role=Role(invitation.role).with_article,
            email=invitation.email,
            invitation_id=invitation.invitation_id,
            expires=invitation.expires_at.strftime("%Y-%m-%d %H:%M"),
        )
        _ses(self._region).send_email(
            FromEmailAddress=self._sender,
            Destination={"ToAddresses": [invitation.email]},
            Content={
                "Simple": {
                    "Subject": {"Data": SUBJECT.format(organization=organization), "Charset": "UTF-8"},
                    "Body": {"Text": {"Data": text, "Charset": "UTF-8"}},
                }
            },
        )
        logger.info("Invitation emailed", extra={"role": invitation.role.value})
