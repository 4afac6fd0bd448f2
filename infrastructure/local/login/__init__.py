"""Cognito's managed login emulated for the local stack (``managed_login``), a Login with Amazon stand-in
(``amazon``), and the console's static files with its generated ``config.json`` (``console``), each served on
loopback by a threaded werkzeug server (``http_server``). See docs/architecture.md, "Local stack"."""
