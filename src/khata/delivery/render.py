"""Message bodies from the Jinja2 templates in khata/templates, by kind and reminder stage."""

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound, select_autoescape

from khata.kit.money import from_paise
from khata.models.delivery import DeliveryChannel


@dataclass(frozen=True)
class InvoiceLine:
    invoice_number: str
    amount_due: str
    due_date: str
    payment_link: str | None
    settled: str | None = None  # "paid in full" / "settled" when nothing is left to pay


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    text: str
    html: str | None


@lru_cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("khata", "templates"),
        # Only the HTML bodies are escaped; subjects and plain text carry names verbatim.
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=False,
    )


def rupees(paise: int) -> str:
    """₹ with Indian digit grouping: 123456789 paise → ₹12,34,567.89."""
    amount: Decimal = from_paise(paise)
    whole, _, fraction = f"{amount:.2f}".partition(".")
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.insert(0, head[-2:])
        head = head[:-2]
    if head:
        groups.insert(0, head)
    return "₹" + ",".join([*groups, tail]) + "." + fraction


def wire_date(day: date) -> str:
    return day.strftime("%d %b %Y")


def stage_slug(stage: str | None) -> str | None:
    if not stage:
        return None
    slug = re.sub(r"[^a-z0-9]+", "_", stage.lower()).strip("_")
    return slug or None


def _pick(family: str, kind: str, stage: str | None, part: str) -> str:
    """The stage-specific template when it exists, else the kind's fallback."""
    environment = _environment()
    names = [f"{family}/{kind}.{part}.j2"]
    slug = stage_slug(stage)
    if slug:
        names.insert(0, f"{family}/{kind}_{slug}.{part}.j2")
    for name in names:
        try:
            environment.get_template(name)
        except TemplateNotFound:
            continue
        return name
    raise TemplateNotFound(names[-1])


def render(
    *,
    channel: str,
    kind: str,
    stage: str | None,
    variables: dict[str, Any],
) -> Rendered:
    """Subject, text and HTML for an email; only text for SMS, WhatsApp and webhooks."""
    environment = _environment()
    kind_name = kind.lower()
    if channel == DeliveryChannel.EMAIL:
        subject = environment.get_template(_pick("email", kind_name, stage, "subject")).render(
            variables
        )
        text = environment.get_template(_pick("email", kind_name, stage, "txt")).render(variables)
        html = environment.get_template(_pick("email", kind_name, stage, "html")).render(variables)
        return Rendered(subject=" ".join(subject.split()), text=text.strip() + "\n", html=html)
    text = environment.get_template(_pick("text", kind_name, stage, "txt")).render(variables)
    return Rendered(subject=None, text=" ".join(text.split()), html=None)
