"""The managed login's and the Amazon stand-in's pages: plain HTML forms, every value escaped."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem}"
    "label,input,button{display:block;width:100%;margin:.3rem 0}input,button{padding:.5rem;box-sizing:border-box}"
    ".error{color:#b00020}.alt{margin-top:1.5rem}"
)


def page(title: str, body: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def _error(message: str | None) -> str:
    return f'<p class="error" role="alert">{escape(message)}</p>' if message else ""


def _field(label: str, name: str, kind: str = "text", value: str = "", extra: str = "") -> str:
    return (
        f'<label for="{name}">{escape(label)}</label>'
        f'<input id="{name}" name="{name}" type="{kind}" value="{escape(value)}" {extra}>'
    )


def login_page(action: str, signup_url: str, amazon_url: str | None, error: str | None = None, email: str = "") -> str:
    amazon = (
        f'<p class="alt"><a id="amazon" href="{escape(amazon_url)}" role="button">Continue with Amazon</a></p>'
        if amazon_url
        else ""
    )
    return page(
        "Sign in to Cloudivize",
        f'{_error(error)}<form method="post" action="{escape(action)}">'
        f"{_field('Email', 'email', 'email', email, 'required autocomplete=username')}"
        f"{_field('Password', 'password', 'password', '', 'required autocomplete=current-password')}"
        f'<button type="submit">Sign in</button></form>'
        f'<p class="alt">Need an account? <a id="signup" href="{escape(signup_url)}">Sign up</a></p>{amazon}',
    )


def signup_page(action: str, login_url: str, error: str | None = None, email: str = "") -> str:
    return page(
        "Sign up for Cloudivize",
        f'{_error(error)}<form method="post" action="{escape(action)}">'
        f"{_field('Email', 'email', 'email', email, 'required autocomplete=username')}"
        f"{_field('Password', 'password', 'password', '', 'required autocomplete=new-password')}"
        f'<button type="submit">Sign up</button></form>'
        f'<p class="alt">Have an account? <a href="{escape(login_url)}">Sign in</a></p>',
    )


def confirm_page(action: str, email: str, error: str | None = None) -> str:
    return page(
        "Confirm your account",
        f"{_error(error)}<p>We sent a code to {escape(email)}. Enter it below.</p>"
        f'<form method="post" action="{escape(action)}">'
        f"{_field('Verification code', 'code', 'text', '', 'required inputmode=numeric autocomplete=one-time-code')}"
        f'<button type="submit">Confirm account</button></form>',
    )


def message_page(title: str, message: str) -> str:
    return page(title, f"<p>{escape(message)}</p>")


def amazon_consent_page(action: str, profiles: Iterable[tuple[str, str]]) -> str:
    listed = "".join(
        f'<form method="post" action="{escape(action)}"><input type="hidden" name="name" value="{escape(name)}">'
        f'<input type="hidden" name="email" value="{escape(email)}">'
        f'<button type="submit" name="profile">Continue as {escape(name)} ({escape(email)})</button></form>'
        for name, email in profiles
    )
    return page(
        "Amazon (local stand-in)",
        "<p>Cloudivize would like to use your Amazon profile (name, email). Pick a demo Amazon account or type one."
        f"</p>{listed}"
        f'<form method="post" action="{escape(action)}" class="alt">'
        f"{_field('Name', 'name', 'text', '', 'required')}{_field('Email', 'email', 'email', '', 'required')}"
        f'<button type="submit">Allow</button></form>',
    )
