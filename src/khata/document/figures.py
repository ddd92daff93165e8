"""How a tax invoice writes numbers: Indian digit grouping, ₹, words, GST rates, state names."""

from datetime import date

from khata.kit.gst import STATE_CODES

_ONES = (
    "Zero", "One", "Two", "Three", "Four", "Five", "Six", "Seven", "Eight", "Nine", "Ten",
    "Eleven", "Twelve", "Thirteen", "Fourteen", "Fifteen", "Sixteen", "Seventeen", "Eighteen",
    "Nineteen",
)  # fmt: skip
_TENS = ("", "", "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety")
# The Indian system: after the first thousand, places go in pairs (lakh, crore); anything above
# a hundred crore is counted in crores ("One Thousand Crore").
_SCALES = ((10_000_000, "Crore"), (100_000, "Lakh"), (1_000, "Thousand"), (100, "Hundred"))


def group_indian(paise: int) -> str:
    """Figures with Indian digit grouping: 1234567890 paise → 1,23,45,678.90."""
    sign = "-" if paise < 0 else ""
    rupees, fraction = divmod(abs(paise), 100)
    whole = str(rupees)
    head, tail = whole[:-3], whole[-3:]
    groups: list[str] = []
    while head:
        groups.insert(0, head[-2:])
        head = head[:-2]
    return f"{sign}{','.join([*groups, tail])}.{fraction:02d}"


def rupees(paise: int) -> str:
    """Figures with the rupee sign: ₹1,23,45,678.90 (a negative amount as -₹…)."""
    grouped = group_indian(paise)
    return f"-₹{grouped[1:]}" if grouped.startswith("-") else f"₹{grouped}"


def _below_hundred(number: int) -> str:
    if number < 20:
        return _ONES[number]
    tens, ones = divmod(number, 10)
    return _TENS[tens] + (f"-{_ONES[ones]}" if ones else "")


def number_in_words(number: int) -> str:
    """A whole number in Indian-system words: 12345678 →
    One Crore Twenty-Three Lakh Forty-Five Thousand Six Hundred Seventy-Eight.
    """
    if number < 100:
        return _below_hundred(number)
    words: list[str] = []
    for scale, name in _SCALES:
        count, number = divmod(number, scale)
        if count:
            words += [number_in_words(count), name]
    if number:
        words.append(_below_hundred(number))
    return " ".join(words)


def amount_in_words(paise: int) -> str:
    """Rupees One Lakh Twenty-Three Thousand Four Hundred Fifty-Six and Seventy Paise Only."""
    if paise < 0:
        raise ValueError("an amount in words must not be negative")
    rupee_part, paise_part = divmod(paise, 100)
    words = f"Rupees {number_in_words(rupee_part)}"
    if paise_part:
        words += f" and {number_in_words(paise_part)} Paise"
    return words + " Only"


def gst_rate(rate_bp: int) -> str:
    """A GST rate in basis points as a percentage: 1800 → 18%, 250 → 2.5%, 25 → 0.25%."""
    whole, fraction = divmod(rate_bp, 100)
    return f"{whole}%" if not fraction else f"{whole}.{fraction:02d}".rstrip("0") + "%"


def state_name(state_code: str | None) -> str:
    """The GST state name of a two-digit code; the code itself when unknown."""
    if state_code is None:
        return ""
    return STATE_CODES.get(state_code, state_code)


def state_label(state_code: str | None) -> str:
    """State name and code as the place of supply is written: Karnataka (29)."""
    if state_code is None:
        return ""
    return f"{state_name(state_code)} ({state_code})"


def document_date(day: date) -> str:
    """Dates on the document: 05 Mar 2026 (unambiguous to Indian and foreign readers)."""
    return day.strftime("%d %b %Y")
