"""Small formatting filters for the call pages."""

from django import template

from calls.pages.charts import number
from crm.phones import display_phone

register = template.Library()


@register.filter
def duration_label(length):
    """A timedelta as 4:05 (or 1:02:03 past the hour)."""
    if length is None:
        return "—"
    seconds = max(0, round(length.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


@register.filter
def phone(number):
    return display_phone(number) if number and number.startswith("+") else (number or "—")


@register.filter
def ms(value):
    return "—" if value is None else f"{value:,.0f} ms"


@register.filter
def chart_number(value, unit=""):
    return number(value, unit)
