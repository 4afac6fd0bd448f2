"""The AWS emulator's own process: ``python -m infrastructure.local.aws.emulator_process HOST PORT ACCOUNT_ID FD``,
started by ``emulator.Emulator``.

Why a process of its own: moto answers every AWS call the functions make, and its work (a DynamoDB Query's
response serializer most of all) is most of the CPU a request costs; in the stack's interpreter it shared one lock
with the HTTP server and the authorizer, which capped what concurrent requests could gain (docs/performance.md,
"Local API").

Here, before serving, the process applies what moto leaves out, as AWS does it: trust policies on AssumeRole
(``trust_enforcement``, for roles outside ACCOUNT_ID, the stack's own account), those roles' permission policies on
every call made with their sessions (``permission_enforcement``), an empty CloudTrail page (``cloudtrail_lookup``),
app clients' write attributes (``write_attributes``), and what Cognito's managed login does inside the pool
(``federation``: federated users, tokens for a user the local managed login signed in, the ``identities`` claim,
``RevokeToken``); and it serializes DynamoDB's answers without moto's alias search (``dynamodb_results``), the
emulator's largest cost per request. Then it binds (PORT 0: a free port) and adds IAM's outbound identity federation
(``web_identity``: the account's issuer, ``sts:GetWebIdentityToken``'s signed JWTs, the issuer's discovery document
and JWKS), whose issuer URLs need the bound endpoint; it tells the stack that endpoint over the link
(``child_process``; or why it could not bind), and serves until the stack closes the link. All state is in memory,
the signing keys included: it ends with the process.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import sys
import threading

from infrastructure.local.child_process import link_to_stack, receive_from_stack, send_to_stack

# Every container's clients connect at once under load (werkzeug's own default is the same).
LISTEN_BACKLOG = 128


def main(argv: list[str]) -> int:
    host, port, account_id, descriptor = argv
    with link_to_stack(descriptor) as connection:  # first: the signal rules, before the imports take their time
        # Moto would load thousands of public AMIs into every region the stack touches (seconds each); the demo
        # account names its own image. Read when a region's EC2 backend is first made, so set before any is.
        os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        # Werkzeug logs every emulated AWS call at INFO (it sets that level itself unless one is set): noise that
        # would bury the API's own log.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)

        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        from infrastructure.local.aws.cloudtrail_lookup import empty_cloudtrail_lookup
        from infrastructure.local.aws.dynamodb_results import dynamodb_results_by_name
        from infrastructure.local.aws.federation import federation_enforced, internal_routes
        from infrastructure.local.aws.permission_enforcement import permission_policies_enforced
        from infrastructure.local.aws.trust_enforcement import trust_policies_enforced
        from infrastructure.local.aws.web_identity import outbound_federation_enforced, public_routes
        from infrastructure.local.aws.write_attributes import client_write_attributes_enforced

        if account_id != DEFAULT_ACCOUNT_ID:
            send_to_stack(connection, {"error": f"moto's own account is {DEFAULT_ACCOUNT_ID}, not {account_id}"})
            return 1
        with contextlib.ExitStack() as rules:
            rules.enter_context(trust_policies_enforced(account_id))
            rules.enter_context(permission_policies_enforced(account_id))
            rules.enter_context(empty_cloudtrail_lookup())
            rules.enter_context(client_write_attributes_enforced())
            rules.enter_context(dynamodb_results_by_name())
            rules.enter_context(federation_enforced())
            try:
                # Bound here, so a refused address is an answer to the stack (werkzeug would print it and exit).
                family = socket.AF_INET6 if ":" in host else socket.AF_INET
                listener = socket.create_server((host, int(port)), family=family, backlog=LISTEN_BACKLOG)
            except OSError as error:
                send_to_stack(connection, {"error": f"cannot listen on {host}:{port} ({error.strerror})"})
                return 1
            bound_host, bound_port = listener.getsockname()[:2]
            endpoint_url = f"http://{bound_host}:{bound_port}"
            # Issuers are URLs of this endpoint, so the rule waits for the bound port.
            signing_keys = rules.enter_context(outbound_federation_enforced(endpoint_url))
            with listener:  # werkzeug serves a duplicate of it (as ThreadedMotoServer would, but bound here)
                server = make_server(
                    host,
                    bound_port,
                    public_routes(internal_routes(DomainDispatcherApplication(create_backend_app)), signing_keys),
                    threaded=True,
                    request_handler=MotoRequestHandler,
                    fd=listener.fileno(),
                )
            serving = threading.Thread(target=server.serve_forever, name="emulator", daemon=True)
            serving.start()
            send_to_stack(connection, {"endpoint_url": endpoint_url})
            while receive_from_stack(connection) is not None:
                pass  # the stack sends nothing more: it only closes the link
            server.shutdown()
            server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
