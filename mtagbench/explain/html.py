"""A self-contained interactive HTML page of the modal-temporal attention graph.

The page contains one inline SVG and one inline script and loads nothing from the network. Each
drawn edge is an SVG group ``<g class="edge">`` whose ``data-*`` attributes store its weight, type
and endpoints. Hovering the edge shows them in a tooltip. When the script has run it sets ``data-ready="true"``
and ``data-edge-count`` on the ``<html>`` element, which lets a headless browser check the page.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from mtagbench.explain.layout import TEXT_MODALITY, GraphLayout, describe_edge
from mtagbench.explain.plots import edge_style

SVG_WIDTH = 1200
MARGIN_LEFT = 120
MARGIN_RIGHT = 40
MARGIN_TOP = 90
MARGIN_BOTTOM = 60
ROW_SPACING = 170

PAGE_STYLE = """
body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 18px; margin: 0 0 4px 0; }
p.note { font-size: 13px; color: #555; margin: 0 0 8px 0; }
ul.legend { list-style: none; padding: 0; margin: 0 0 8px 0; font-size: 13px; }
ul.legend li { display: inline-block; margin-right: 16px; }
ul.legend span.swatch { display: inline-block; width: 22px; height: 4px; vertical-align: middle; margin-right: 4px; }
g.edge { cursor: pointer; }
g.edge path.edge-hit { stroke: transparent; stroke-width: 10; fill: none; }
g.edge:hover path.edge-line { stroke-opacity: 1; }
#tooltip { position: fixed; display: none; pointer-events: none; background: #fff; border: 1px solid #888;
  padding: 6px 8px; font-size: 13px; box-shadow: 0 2px 6px rgba(0,0,0,0.2); white-space: nowrap; }
"""

PAGE_SCRIPT = """
(function () {
  var tooltip = document.getElementById("tooltip");
  var edges = document.querySelectorAll("g.edge");
  function show(edge, event) {
    var lines = [
      "weight " + edge.getAttribute("data-weight"),
      "type " + edge.getAttribute("data-source-modality") + " \\u2192 " +
        edge.getAttribute("data-target-modality") + ", tau " + edge.getAttribute("data-tau"),
      edge.getAttribute("data-source") + " \\u2192 " + edge.getAttribute("data-target"),
      edge.getAttribute("data-kept") === "true" ? "kept after pruning" : "pruned after this layer"
    ];
    tooltip.textContent = "";
    lines.forEach(function (line) {
      var row = document.createElement("div");
      row.textContent = line;
      tooltip.appendChild(row);
    });
    tooltip.style.display = "block";
    move(event);
  }
  function move(event) {
    tooltip.style.left = (event.clientX + 14) + "px";
    tooltip.style.top = (event.clientY + 14) + "px";
  }
  function hide() { tooltip.style.display = "none"; }
  edges.forEach(function (edge) {
    edge.addEventListener("mouseenter", function (event) { show(edge, event); });
    edge.addEventListener("mousemove", move);
    edge.addEventListener("mouseleave", hide);
  });
  document.documentElement.setAttribute("data-edge-count", String(edges.length));
  document.documentElement.setAttribute("data-ready", "true");
})();
"""


def svg_height(num_rows: int) -> int:
    """Return the SVG height in pixels for a number of modality rows."""
    return MARGIN_TOP + ROW_SPACING * (num_rows - 1) + MARGIN_BOTTOM


def _point(layout: GraphLayout, modality: str, step: int) -> tuple[float, float]:
    x = MARGIN_LEFT + layout.x(modality, step) * (SVG_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)
    y = MARGIN_TOP + layout.row(modality) * ROW_SPACING
    return x, y


def _edge_path(layout: GraphLayout, edge: pd.Series) -> str:
    x1, y1 = _point(layout, edge["source"], int(edge["source_step"]))
    x2, y2 = _point(layout, edge["target"], int(edge["target_step"]))
    if edge["source"] != edge["target"]:
        return f"M {x1:.1f} {y1:.1f} L {x2:.1f} {y2:.1f}"

    # Edges within a row are arcs, because a straight line would run through the nodes between.
    # As in the PNG, arcs to a later step bend above the row and arcs to an earlier step below.
    bend = 0.6 * abs(x2 - x1) + 8.0
    control_y = y1 - bend if x2 > x1 else y1 + bend
    return f"M {x1:.1f} {y1:.1f} Q {(x1 + x2) / 2:.1f} {control_y:.1f} {x2:.1f} {y2:.1f}"


def _arrow_markers(layout: GraphLayout) -> list[str]:
    # Fixed-size arrowheads (not scaled by the stroke width) whose tips stop about 5 px before the
    # target node's centre.
    markers = []
    for source in layout.modalities:
        for target in layout.modalities:
            colour = layout.pair_colour(source, target)
            markers.append(
                f'<marker id="{escape(_marker_id(layout, source, target))}" viewBox="0 0 10 10" refX="16" refY="5" '
                f'markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto">'
                f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
            )
    return markers


def _marker_id(layout: GraphLayout, source: str, target: str) -> str:
    return f"arrow-{layout.modalities.index(source)}-{layout.modalities.index(target)}"


def _edge_elements(layout: GraphLayout, edges: pd.DataFrame) -> list[str]:
    max_weight = float(edges["weight"].max()) if len(edges) else 0.0
    elements = []
    for _, edge in edges.sort_values("weight", kind="stable").iterrows():
        source, target = edge["source"], edge["target"]
        width, opacity = edge_style(float(edge["weight"]), max_weight)
        # SVG stroke widths are in pixels; scale the PNG's point widths to a similar look.
        width_px = width * 1.3
        path = _edge_path(layout, edge)
        attributes = {
            "class": "edge",
            "data-weight": f"{edge['weight']:.6f}",
            "data-source-modality": source,
            "data-target-modality": target,
            "data-tau": edge["tau"],
            "data-source": layout.node_label(source, int(edge["source_step"])),
            "data-target": layout.node_label(target, int(edge["target_step"])),
            "data-kept": "true" if edge["kept"] else "false",
        }
        attribute_text = " ".join(f'{name}="{escape(str(value), quote=True)}"' for name, value in attributes.items())
        dash = "" if edge["kept"] else ' stroke-dasharray="6 4"'
        elements.append(
            f"<g {attribute_text}><title>{escape(describe_edge(layout, edge))}</title>"
            f'<path class="edge-line" d="{path}" fill="none" stroke="{layout.pair_colour(source, target)}" '
            f'stroke-width="{width_px:.2f}" stroke-opacity="{opacity:.3f}"{dash} '
            f'marker-end="url(#{_marker_id(layout, source, target)})"/>'
            f'<path class="edge-hit" d="{path}"/></g>'
        )
    return elements


def _node_elements(layout: GraphLayout) -> list[str]:
    elements = []
    for modality in layout.rows:
        length = layout.lengths[modality]
        _, y = _point(layout, modality, 0)
        elements.append(
            f'<text x="{MARGIN_LEFT - 16}" y="{y + 4:.1f}" text-anchor="end" font-size="14">'
            f"{escape(modality)} ({length})</text>"
        )
        radius = max(2.5, min(6.0, 160.0 / max(length, 1)))
        for step in range(length):
            x, y = _point(layout, modality, step)
            elements.append(
                f'<circle class="node" cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#444">'
                f"<title>{escape(layout.node_label(modality, step))}</title></circle>"
            )
            if modality == TEXT_MODALITY and layout.words is not None:
                elements.append(
                    f'<text class="word" x="{x + 2:.1f}" y="{y - 8:.1f}" font-size="11" stroke="#fff" stroke-width="3" paint-order="stroke" '
                    f'transform="rotate(-60 {x + 2:.1f} {y - 8:.1f})">{escape(layout.words[step])}</text>'
                )
    return elements


def _legend(layout: GraphLayout, edges: pd.DataFrame) -> str:
    present = set(zip(edges["source"], edges["target"]))
    items = [
        f'<li><span class="swatch" style="background:{layout.pair_colour(s, t)}"></span>{escape(s)} \u2192 {escape(t)}</li>'
        for s in layout.modalities
        for t in layout.modalities
        if (s, t) in present
    ]
    return '<ul class="legend">' + "".join(items) + "</ul>"


def graph_html(layout: GraphLayout, edges: pd.DataFrame, title: str = "", note: str = "") -> str:
    """Return the HTML page of a graph drawing.

    Args:
        layout: Node placement from :func:`~mtagbench.explain.layout.graph_layout`.
        edges: Rows of :func:`~mtagbench.explain.edges.edge_frame` to draw; one ``<g class="edge">``
            each.
        title: Page heading.
        note: One line under the heading.
    """
    height = svg_height(len(layout.rows))
    svg = "\n".join(
        [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{SVG_WIDTH}" height="{height}" '
            f'viewBox="0 0 {SVG_WIDTH} {height}" role="img" aria-label="{escape(title, quote=True)}">',
            "<defs>" + "".join(_arrow_markers(layout)) + "</defs>",
            '<g class="edges">',
            *_edge_elements(layout, edges),
            "</g>",
            '<g class="nodes">',
            *_node_elements(layout),
            "</g>",
            "</svg>",
        ]
    )
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f"<title>{escape(title)}</title>",
            f"<style>{PAGE_STYLE}</style>",
            "</head>",
            "<body>",
            f"<h1>{escape(title)}</h1>",
            f'<p class="note">{escape(note)}</p>',
            _legend(layout, edges),
            svg,
            '<div id="tooltip" role="tooltip"></div>',
            f"<script>{PAGE_SCRIPT}</script>",
            "</body>",
            "</html>",
            "",
        ]
    )


def write_graph_html(layout: GraphLayout, edges: pd.DataFrame, path: str | Path, title: str = "", note: str = "") -> Path:
    """Write :func:`graph_html` to ``path`` as UTF-8 and return the path."""
    path = Path(path)
    path.write_text(graph_html(layout, edges, title, note), encoding="utf-8")
    return path
