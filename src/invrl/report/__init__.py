"""Paper-style tables and figures, read from result cubes only.

``FIGURES`` is the one list of figure names: the config's ``figures:``
entries are checked against it, the plotting rule's wildcard is built from
it, and the plotting script calls the function it maps to (imported only
then, so loading the workflow stays light).
"""

from invrl.registry import lazy

FIGURES = {
    name: lazy(f"invrl.report.figures:{name}")
    for name in ("gap_heatmap", "gap_lines", "learning_curves", "excess_lines", "bound_gap_lines", "data_efficiency")
}
