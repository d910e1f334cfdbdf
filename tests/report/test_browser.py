"""report.html as a user sees it: rendered by headless Chromium (Debian's `chromium`; .ci/run installs it).

Two renderings of the report a real `mutagrad run` writes:

- a screenshot of the page itself (1200 x 2000), with Chromium's log on stderr: the only script is
  the inlined standard viewer, which logs nothing, so any console message at all (an "Uncaught ..."
  error, a failed resource) fails;
- the same page with a small probe script put first in <head>, printed with --dump-dom: it
  records every error event (an uncaught exception, or an <img> that failed to decode), every
  console.error, and, once the page has loaded, each image's natural size and where it sits.

The heatmap must have decoded (naturalWidth > 0), lie within the first screen, and the
screenshot's pixels in its box must show the plot (many colours, the yellow of wrong
gradients), not a blank or broken image. A deliberately broken copy of the page checks that
the harness can see each kind of failure. A third rendering walks the viewer's shadow DOM and
screenshots it: mlp.py's source with the mutants on it.
"""
import json
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image

from mutagrad.cli import cli

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = [pytest.mark.slow,  # a campaign and a headless browser
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (Debian package `chromium`)")]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars", "--force-device-scale-factor=1"]
WIDTH, HEIGHT = 1200, 2000
PROBE = """<script>
window.__problems = [];
window.addEventListener("error", function (e) {
  var t = e.target;
  window.__problems.push(t && t.tagName ? "failed to load <" + t.tagName.toLowerCase() + " id=" + t.id + ">"
                                        : e.message);
}, true);
var __error = console.error;
console.error = function () {
  window.__problems.push("console.error: " + Array.prototype.join.call(arguments, " "));
  __error.apply(console, arguments);
};
window.addEventListener("load", function () {
  var images = Array.prototype.map.call(document.images, function (i) {
    var r = i.getBoundingClientRect();
    return {id: i.id, complete: i.complete, naturalWidth: i.naturalWidth, box: [r.left, r.top, r.width, r.height]};
  });
  var out = document.createElement("pre");
  out.id = "mutagrad-probe";
  out.textContent = JSON.stringify({problems: window.__problems, images: images});
  document.body.appendChild(out);
});
</script>"""


def chromium(tmp_path, page: Path, *args) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    return subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--window-size={WIDTH},{HEIGHT}",
                           *args, page.as_uri()], capture_output=True, text=True, timeout=120, check=False)


def screenshot(tmp_path, page: Path) -> tuple[Image.Image, list[str]]:
    """The first screen of the page, and every console line of Chromium's log."""
    shot = tmp_path / f"{page.stem}.png"
    done = chromium(tmp_path, page, f"--screenshot={shot}", "--enable-logging=stderr", "--v=0")
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    return Image.open(shot).convert("RGB"), [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


def probe(tmp_path, page: Path) -> dict:
    """What the probe script saw once the page had loaded."""
    probed = tmp_path / f"{page.stem}-probe.html"
    probed.write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    done = chromium(tmp_path, probed, "--dump-dom", "--virtual-time-budget=5000")
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="mutagrad-probe">') + len('<pre id="mutagrad-probe">')
    return json.loads(unescape(done.stdout[start:done.stdout.index("</pre>", start)]))


def yellow(image: Image.Image) -> int:
    """Pixels in viridis's top colour band: the relative errors of wrong gradients."""
    return sum(n for n, (r, g, b) in image.getcolors(WIDTH * HEIGHT) if r > 180 and g > 180 and b < 100)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    ids = ["transposed-dw", "forgotten-dropout-mask", "db-without-keepdims", "dzl-sign-flipped",
           "l2-cost-missing-half", "dropout-removed-consistently"]
    result = CliRunner().invoke(cli, ["run", *ids, "--out", str(out), "-j", "1", "-q"])
    assert result.exit_code == 0, result.output
    return out / "report.html"


def test_the_report_renders_without_errors_and_its_heatmap_shows(report, tmp_path):
    image, console = screenshot(tmp_path, report)
    assert console == []
    assert image.size == (WIDTH, HEIGHT)
    assert len(image.getcolors(WIDTH * HEIGHT)) > 200  # text and plots, not a blank page

    seen = probe(tmp_path, report)
    assert seen["problems"] == []
    assert seen["images"] and all(i["complete"] and i["naturalWidth"] > 0 for i in seen["images"])
    heatmap = next(i for i in seen["images"] if i["id"] == "heatmap")
    left, top, width, height = heatmap["box"]
    assert width > 300 and height > 150 and left >= 0 and left + width <= WIDTH and top + height <= HEIGHT
    box = image.crop((int(left), int(top), int(left + width), int(top + height)))
    assert len(box.getcolors(WIDTH * HEIGHT)) > 100 and yellow(box) > 500  # the plot itself, drawn


def test_the_harness_sees_a_broken_image_and_a_script_error(report, tmp_path):
    broken = tmp_path / "broken.html"
    html = report.read_text().replace('src="data:image/png;base64,iVBOR', 'src="data:image/png;base64,AAAA', 1)
    broken.write_text(html.replace("</body>", "<script>notDefined();</script></body>"))
    _, console = screenshot(tmp_path, broken)
    assert any("Uncaught ReferenceError" in line for line in console)
    seen = probe(tmp_path, broken)
    assert "failed to load <img id=heatmap>" in seen["problems"]
    assert any("notDefined" in p for p in seen["problems"])
    assert next(i for i in seen["images"] if i["id"] == "heatmap")["naturalWidth"] == 0


VIEWER_PROBE = """<script>
window.addEventListener("load", function () {
  setTimeout(function () {
    var statuses = {}, text = [], box = null;
    (function walk(root) {
      root.querySelectorAll("*").forEach(function (e) {
        var css = typeof e.className === "string" ? e.className.split(" ") : [];
        if (css.indexOf("mutant") >= 0) {
          css.forEach(function (c) { if (/^[A-Z]/.test(c)) statuses[c] = (statuses[c] || 0) + 1; });
        }
        if (e.shadowRoot) walk(e.shadowRoot);
      });
      if (root !== document) text.push(root.textContent || "");  // what the viewer drew, not the page's data
    })(document);
    var app = document.querySelector("mutation-test-report-app");
    var r = app.getBoundingClientRect();
    var out = document.createElement("pre");
    out.id = "mutagrad-probe";
    out.textContent = JSON.stringify({hash: location.hash, statuses: statuses, text: text.join(" "),
                                      box: [r.left, r.top + window.scrollY, r.width, r.height]});
    document.body.appendChild(out);
  }, 500);
});
</script>"""
TALL = 9000  # the viewer shows the whole of mlp.py below mutagrad's own summary and plots


def test_the_standard_viewer_shows_the_mutants_on_mlp_py(report, tmp_path):
    probed = tmp_path / "viewer-probe.html"
    probed.write_text(report.read_text().replace("<head>", "<head>" + VIEWER_PROBE, 1))
    done = chromium(tmp_path, probed, "--dump-dom", "--virtual-time-budget=5000")
    assert done.returncode == 0, done.stderr[-2000:]
    start = done.stdout.index('<pre id="mutagrad-probe">') + len('<pre id="mutagrad-probe">')
    seen = json.loads(unescape(done.stdout[start:done.stdout.index("</pre>", start)]))
    assert seen["hash"] == "#mutant/mlp.py"  # the file view, not the list of files
    assert "def backward(X, Y, cache" in seen["text"] and "dZL = AL - Y" in seen["text"]  # mlp.py's source
    assert seen["statuses"].get("Killed", 0) >= 3 and seen["statuses"].get("Ignored", 0) >= 1  # the mutants on it

    shot = tmp_path / "viewer.png"
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile-viewer'}",
                           f"--window-size={WIDTH},{TALL}", "--virtual-time-budget=5000", f"--screenshot={shot}",
                           report.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    left, top, width, height = seen["box"]
    assert width > 600 and height > 1000 and top + height <= TALL
    viewer = Image.open(shot).convert("RGB").crop((int(left), int(top), int(left + width), int(top + height)))
    viewer.save(tmp_path / "viewer-crop.png")
    colours = viewer.getcolors(WIDTH * TALL)
    assert len(colours) > 300  # highlighted source and status bars, not a blank element
    green = sum(n for n, (r, g, b) in colours if g > 120 and g > r + 60 and g > b + 40)
    assert green > 2000  # the killed mutants' green (status bar and markers)
