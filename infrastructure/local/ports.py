"""Ports asked for on the command line: refused early and clearly when taken."""

import socket


class PortUnavailable(Exception):
    """A port asked for explicitly cannot be listened on."""


def ensure_port_free(host: str, port: int, what: str) -> None:
    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        # As the servers do: a port left in TIME_WAIT by the previous run is free to take.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise PortUnavailable(
                f"The {what} cannot listen on {host}:{port} ({error.strerror}): pass another port, or 0 for a free one."
            ) from None
