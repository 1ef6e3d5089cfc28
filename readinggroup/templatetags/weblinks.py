"""``{{ paper.url|safe_url }}``: a stored link, or nothing when it is not http(s).

Every stored link a template shows goes through it (see ``readinggroup.weblinks``).
The result is still autoescaped: the filter drops schemes, it marks nothing safe.
"""

from __future__ import annotations

from django import template

from readinggroup import weblinks

register = template.Library()


@register.filter(is_safe=False)
def safe_url(value: object) -> str:
    return weblinks.safe_url(value)
