import re
import shutil
import subprocess

import pytest
from PIL import Image

from mtagbench.explain import edge_frame, graph_html, graph_layout, pair_matrices, plot_graph, plot_heatmaps, top_edges
from mtagbench.explain.plots import edge_style, graph_figure_size, heatmap_figure_size
from tests.explain_cases import MODALITIES, WORDS, hand_built_attention

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def drawn_edges(k: int = 5):
    attention = hand_built_attention()
    return graph_layout(attention, WORDS), top_edges(edge_frame(attention, 0), k)


def png_size(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        return image.size


def test_edge_style_scales_with_weight():
    assert edge_style(2.0, 2.0) == (4.0, 1.0)
    width, opacity = edge_style(1.0, 2.0)
    assert width == pytest.approx(2.3)
    assert opacity == pytest.approx(0.6)


def test_graph_png_pixel_size(tmp_path):
    layout, edges = drawn_edges()
    path = plot_graph(layout, edges, tmp_path / "graph.png", title="t", dpi=50)
    width, height = graph_figure_size(2)
    assert png_size(path) == (round(width * 50), round(height * 50))


def test_graph_png_with_pruned_and_no_words(tmp_path):
    attention = hand_built_attention()
    layout = graph_layout(attention)
    edges = edge_frame(attention, 0)
    assert not edges["kept"].all()
    path = plot_graph(layout, edges, tmp_path / "graph.png", dpi=40)
    width, height = graph_figure_size(2)
    assert png_size(path) == (round(width * 40), round(height * 40))


def test_graph_png_without_edges(tmp_path):
    layout, edges = drawn_edges()
    path = plot_graph(layout, edges.iloc[:0], tmp_path / "graph.png", dpi=30)
    assert png_size(path)[0] == round(graph_figure_size(2)[0] * 30)


def test_heatmaps_png_pixel_size(tmp_path):
    matrices = pair_matrices(hand_built_attention(), 1)
    path = plot_heatmaps(matrices, MODALITIES, tmp_path / "heatmaps.png", words=WORDS, title="t", dpi=50)
    width, height = heatmap_figure_size(2)
    assert png_size(path) == (round(width * 50), round(height * 50))


def test_html_has_one_group_per_edge():
    layout, edges = drawn_edges(4)
    page = graph_html(layout, edges, title="sample <1>")
    assert page.count('<g class="edge"') == 4
    assert page.count("<circle") == 3
    assert "sample &lt;1&gt;" in page
    assert 'data-source="text[1] &#x27;enjoyed&#x27;"' in page


def test_html_is_self_contained():
    layout, edges = drawn_edges()
    page = graph_html(layout, edges)
    assert "<script src" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page
    assert "<link" not in page


def console_messages(log: str) -> list[str]:
    """Return the page's console messages (errors included) from Chromium's stderr log."""
    return re.findall(r":CONSOLE[^\n]*", log)


def _dump_dom(html_path, profile, timeout=60):
    """Render a page in headless Chromium; return the serialised DOM and Chromium's log."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--dump-dom",
        html_path.as_uri(),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout, result.stderr


# A test-only script appended after the page's own: it hovers the strongest edge and copies the
# tooltip's text into an attribute that --dump-dom serialises.
HOVER_SCRIPT = """<script>
var edge = document.querySelectorAll("g.edge");
edge = edge[edge.length - 1];
edge.dispatchEvent(new MouseEvent("mouseenter", {clientX: 10, clientY: 10}));
var tip = document.getElementById("tooltip");
document.documentElement.setAttribute("data-tooltip", tip.textContent);
document.documentElement.setAttribute("data-tooltip-display", tip.style.display);
</script>"""


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_html_renders_in_chromium(tmp_path):
    layout, edges = drawn_edges(5)
    page = graph_html(layout, edges, title="hand-built")
    page = page.replace("</body>", HOVER_SCRIPT + "</body>")
    html_path = tmp_path / "graph.html"
    html_path.write_text(page, encoding="utf-8")

    dom, log = _dump_dom(html_path, tmp_path / "profile")
    html_tag = re.search(r"<html[^>]*>", dom).group(0)

    assert 'data-ready="true"' in html_tag
    assert 'data-edge-count="5"' in html_tag
    assert len(re.findall(r'<g class="edge"', dom)) == 5
    assert console_messages(log) == []
    assert 'data-tooltip-display="block"' in html_tag
    # Edges are drawn weakest first, ties in edge order, so the last one is e5 (audio[0] -> text[1],
    # weight 0.375, present), tied with e2 as the strongest.
    assert "weight 0.375000" in html_tag
    assert "type audio \u2192 text, tau present" in html_tag
    assert "audio[0] \u2192 text[1] 'enjoyed'" in html_tag
    assert "kept after pruning" in html_tag


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install -y chromium)")
def test_chromium_check_sees_script_errors(tmp_path):
    html_path = tmp_path / "broken.html"
    html_path.write_text("<html><body><script>notDefined();</script></body></html>", encoding="utf-8")
    _, log = _dump_dom(html_path, tmp_path / "profile")
    messages = console_messages(log)
    assert len(messages) == 1
    assert "Uncaught ReferenceError" in messages[0]
