"""The Content-Security-Policy allows no inline script or style: no template may carry one."""

import re

from django.conf import settings

INLINE = [
    (re.compile(r"\sstyle\s*=", re.IGNORECASE), "a style attribute"),
    (re.compile(r"<style", re.IGNORECASE), "a <style> element"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.IGNORECASE), "an on… event handler"),
    (re.compile(r"javascript:", re.IGNORECASE), "a javascript: address"),
]


def test_no_template_holds_an_inline_script_style_or_handler():
    found = []
    for path in sorted(settings.BASE_DIR.glob("**/templates/**/*.html")):
        if ".venv" in path.parts:
            continue
        text = path.read_text()
        for pattern, what in INLINE:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {what}")

    assert found == []
