"""The standard mutation-testing viewer in report.html: Stryker's `mutation-testing-elements`, inlined.

The vendored bundle (vendor/mutation-test-elements.js, Apache-2.0) defines the
<mutation-test-report-app> element; the page gives it mutation-report.json's content, so the
mutants show on mlp.py's source with no network access.
"""
from __future__ import annotations

import json
from importlib.resources import files

BUNDLE = "mutation-test-elements.js"


def bundle() -> str:
    """The viewer's JavaScript, as vendored."""
    return files(__package__).joinpath("vendor", BUNDLE).read_text(encoding="utf-8")


def viewer_html(report: dict) -> str:
    """The viewer element and the scripts that define it and hand it `report` (a mutation-report dict)."""
    # "</" inside a <script> would end it: escaped, the JSON means the same to JavaScript.
    data = json.dumps(report).replace("</", "<\\/").replace("<!--", "<\\!--")
    first = json.dumps("#mutant/" + next(iter(report["files"]), ""))
    return ('<mutation-test-report-app id="viewer" title-postfix="mutagrad"></mutation-test-report-app>'
            # the viewer routes by the URL's #fragment: open on the source file unless a link says otherwise
            f'<script>if (!location.hash) history.replaceState(null, "", {first});</script>'
            f"<script>{bundle()}</script>"
            f'<script>document.getElementById("viewer").report = {data};</script>')
