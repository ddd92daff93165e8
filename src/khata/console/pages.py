"""The console's pages as HTML (Jinja2, autoescaped) and the Content-Security-Policy that lets
in their one stylesheet and nothing else: no script, forms posting only back here."""

import base64
import hashlib
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from khata.document import html as document_html
from khata.document.figures import rupees
from khata.kit.money import parse_amount, to_paise

_CSS_TEMPLATE = "console/console.css.j2"


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("khata", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,
    )
    document_html.register(env)
    env.filters["wire_rupees"] = _wire_rupees
    return env


def _wire_rupees(amount: float | int | None) -> str:
    """An API payload's amount (a JSON number of rupees) with the rupee sign, exactly."""
    return "" if amount is None else rupees(to_paise(parse_amount(amount, allow_negative=True)[0]))


@lru_cache
def _stylesheet() -> tuple[Markup, str]:
    """The one stylesheet, inlined, and its CSP source (a hash: no 'unsafe-inline')."""
    css = _environment().get_template(_CSS_TEMPLATE).render()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    # Our own template's text: safe in <style> as it is (escaping would corrupt it).
    return Markup(css), f"'sha256-{digest}'"


def content_security_policy() -> str:
    _, style_source = _stylesheet()
    return (
        f"default-src 'none'; style-src {style_source}; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def render(template: str, **context: Any) -> str:
    """A console page; `context` must hold what the layout needs (root, csrf, who, nav)."""
    css, _ = _stylesheet()
    return _environment().get_template(f"console/{template}").render(css=css, **context)
