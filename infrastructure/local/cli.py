"""The command line: ``run`` the stack, print a ``token``, ``users add`` / ``users confirm``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from botocore.exceptions import EndpointConnectionError

from infrastructure.local.aws.emulator import DEFAULT_REGION, detach_from_real_aws
from infrastructure.local.aws.users import LocalUser, UserError, add_user, confirm_user, sign_in
from infrastructure.local.lambda_runtime import install_handler_environment
from infrastructure.local.ports import PortUnavailable
from infrastructure.local.run import RunOptions, run_local_stack
from infrastructure.local.stack import LOOPBACK
from infrastructure.local.stack_info import DEFAULT_INFO_FILE, StackNotFound, read_stack_info

# Clear of the common frontend dev servers (3000, 4200, 5173, 8000, 8080), so a web client runs beside it.
DEFAULT_API_PORT = 8330
DEFAULT_AWS_PORT = 4566
DEFAULT_AUTH_PORT = 8331  # the managed login: the Cognito domain's stand-in
DEFAULT_AMAZON_PORT = 8332  # the Login with Amazon stand-in
DEFAULT_CONSOLE_PORT = 8333
DEFAULT_AZURE_PORT = 8334  # the demo Azure: Entra ID, Resource Manager and Graph over HTTPS
REAL_AZURE_VARIABLE = "CLOUDIVIZE_REAL_AZURE"  # "1": as --real-azure

EXIT_NO_STACK = 1  # no running stack to talk to, or none could be started
EXIT_USAGE = 2  # argparse's code for a bad command line; also a request the caller must fix


def run_cli(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    # Our own progress at INFO; libraries (botocore's credential notes, moto) only when something is wrong.
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("infrastructure.local").setLevel(logging.INFO)
    detach_from_real_aws()  # whatever the command, this process talks to the emulator only
    try:
        return args.command(args)
    except (StackNotFound, PortUnavailable) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_NO_STACK
    except EndpointConnectionError:
        # An info file left by a stack that was killed: its emulator is gone.
        print(f"error: the local stack of {args.info_file} is not running: start it with `make run`.", file=sys.stderr)
        return EXIT_NO_STACK
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE


def _run(args: argparse.Namespace) -> int:
    return run_local_stack(
        RunOptions(
            host=args.host,
            api_port=args.api_port,
            aws_port=args.aws_port,
            auth_port=args.auth_port,
            amazon_port=args.amazon_port,
            console_port=args.console_port,
            region=args.region,
            info_file=args.info_file,
            allowed_origins=tuple(args.allowed_origin),
            azure_port=args.azure_port,
            real_azure=args.real_azure or os.environ.get(REAL_AZURE_VARIABLE) == "1",
        )
    )


def _token(args: argparse.Namespace) -> int:
    info = read_stack_info(args.info_file)
    username = args.username or info.demo_username
    password = args.password or info.demo_password
    print(sign_in(info.resources, username, password)["IdToken"])
    return 0


def _users_add(args: argparse.Namespace) -> int:
    resources = read_stack_info(args.info_file).resources
    install_handler_environment(resources)  # the trigger runs in this process
    with _trigger_logs_to_stderr():
        user = add_user(resources, args.email, args.password)
    _print_user("Added", user)
    return 0


def _users_confirm(args: argparse.Namespace) -> int:
    resources = read_stack_info(args.info_file).resources
    install_handler_environment(resources)
    with _trigger_logs_to_stderr():
        user = confirm_user(resources, args.email)
    _print_user("Confirmed", user)
    return 0


def _trigger_logs_to_stderr() -> contextlib.AbstractContextManager[object]:
    # The trigger logs to stdout, as Lambda functions do; here stdout is the command's answer alone. (Its logger
    # takes sys.stdout when the handler first loads, which is inside this block.)
    return contextlib.redirect_stdout(sys.stderr)


def _print_user(what: str, user: LocalUser) -> None:
    print(f"{what} {user.email} (user id {user.sub}) in tenant {user.tenant_id}")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m infrastructure.local", description=__doc__)
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="start the emulator and the API (Ctrl-C stops both)")
    run.add_argument("--api-port", type=int, default=DEFAULT_API_PORT, help="0 picks a free port")
    run.add_argument("--aws-port", type=int, default=DEFAULT_AWS_PORT, help="0 picks a free port")
    run.add_argument("--auth-port", type=int, default=DEFAULT_AUTH_PORT, help="the managed login; 0 picks a free port")
    run.add_argument("--amazon-port", type=int, default=DEFAULT_AMAZON_PORT, help="the Login with Amazon stand-in")
    run.add_argument("--console-port", type=int, default=DEFAULT_CONSOLE_PORT, help="the web console")
    run.add_argument("--azure-port", type=int, default=DEFAULT_AZURE_PORT, help="the demo Azure (HTTPS)")
    run.add_argument(
        "--real-azure",
        action="store_true",
        help=f"call the real Azure instead of the demo Azure (or set {REAL_AZURE_VARIABLE}=1)",
    )
    run.add_argument("--host", default=LOOPBACK, help="address to listen on (default: loopback only)")
    run.add_argument("--region", default=DEFAULT_REGION)
    run.add_argument("--allowed-origin", action="append", default=[], help="a browser origin CORS allows, repeatable")
    _add_info_file(run, "where to write the stack's URLs, ids and demo credentials (JSON)")
    run.set_defaults(command=_run)

    token = commands.add_parser("token", help="sign in and print a fresh ID token")
    token.add_argument("--username", help="default: the demo user")
    token.add_argument("--password", help="default: the demo user's")
    _add_info_file(token)
    token.set_defaults(command=_token)

    users = commands.add_parser("users", help="manage users of the local pool").add_subparsers(
        required=True, metavar="ACTION"
    )
    add = users.add_parser("add", help="create a confirmed user and run the post-confirmation trigger")
    add.add_argument("email")
    add.add_argument("password")
    _add_info_file(add)
    add.set_defaults(command=_users_add)
    confirm = users.add_parser("confirm", help="run the post-confirmation trigger again for an existing user")
    confirm.add_argument("email")
    _add_info_file(confirm)
    confirm.set_defaults(command=_users_confirm)
    return parser


def _add_info_file(parser: argparse.ArgumentParser, help: str = "the running stack's info file") -> None:
    parser.add_argument("--info-file", type=Path, default=DEFAULT_INFO_FILE, help=f"{help} (default: %(default)s)")
