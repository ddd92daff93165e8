"""The buyer's pages as HTML (Jinja2, autoescaped): the invoice page and the short notices
(unknown link, cancelled invoice, too many attempts), and the Content-Security-Policy that
lets their one stylesheet in and nothing else."""

import base64
import hashlib
from dataclasses import dataclass
from functools import lru_cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from khata.buyer.service import PAYMENT_MODES, AnswerForm, BuyerPage, PaymentForm
from khata.document import html as document_html

_CSS_TEMPLATE = "buyer/page.css.j2"


@dataclass(frozen=True)
class Problem:
    """A refused form, shown above the form it came from."""

    form: str  # "payment" | "answer"
    message: str


@lru_cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("khata", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=True),
        undefined=StrictUndefined,
    )
    document_html.register(env)
    return env


@lru_cache
def _stylesheet() -> tuple[Markup, str]:
    """The pages' one stylesheet, inlined, and its CSP source (a hash: no 'unsafe-inline')."""
    css = _environment().get_template(_CSS_TEMPLATE).render()
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    # Our own template's text: safe to put in <style> as it is (escaping would corrupt it).
    return Markup(css), f"'sha256-{digest}'"


def content_security_policy() -> str:
    """No script at all, the one stylesheet, forms posting only back here, no framing."""
    _, style_source = _stylesheet()
    return (
        f"default-src 'none'; style-src {style_source}; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )


def render_page(
    page: BuyerPage,
    *,
    root: str,
    token: str,
    problem: Problem | None = None,
    payment_form: PaymentForm | None = None,
    answer_form: AnswerForm | None = None,
) -> str:
    """The invoice's page; a refused form comes back filled in as typed, with its problem."""
    css, _ = _stylesheet()
    payable = page.payable_doc
    payment = document_html.payment_of(payable) if payable is not None else None
    return (
        _environment()
        .get_template("buyer/page.html.j2")
        .render(
            css=css,
            page=page,
            payment=payment,
            no_payment=document_html.Payment(upi_uri=None, qr_svg=None),
            root=root,
            token=token,
            problem=problem,
            payment_form=payment_form or PaymentForm(paid_on=page.today.isoformat()),
            answer_form=answer_form or AnswerForm(),
            modes=PAYMENT_MODES,
        )
    )


def render_notice(title: str, message: str) -> str:
    """A page that only says something: an unknown link, a cancelled invoice, a refusal."""
    css, _ = _stylesheet()
    template = _environment().get_template("buyer/notice.html.j2")
    return template.render(css=css, title=title, message=message)
