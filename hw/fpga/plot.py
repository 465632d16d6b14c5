"""Area against Fmax as an SVG (matplotlib, Agg backend) for docs/PERFORMANCE.md.

:func:`area_fmax_svg` draws one panel per place-and-route target: each variant
measured is a point at (logic cells used, Fmax), a seed sweep adds its spread as
an error bar, and the Fmax target is a dashed line.  matplotlib is imported
inside the function, so this module loads without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["PlotPoint", "area_fmax_svg"]


@dataclass(frozen=True)
class PlotPoint:
    """One measured variant.

    Members
    -------
    target : str
        Place-and-route target (one panel each).
    label : str
        The variant, as the legend names it.
    area : int
        Logic cells used after place-and-route.
    area_unit : str
        What ``area`` counts (``ICESTORM_LC``, ``TRELLIS_COMB``).
    fmax_mhz : float
        Fmax (a sweep's median).
    low_mhz, high_mhz : float
        The spread over seeds; equal to ``fmax_mhz`` for one seed.
    target_mhz : float
        The Fmax the target asks for.
    """

    target: str
    label: str
    area: int
    area_unit: str
    fmax_mhz: float
    low_mhz: float
    high_mhz: float
    target_mhz: float


def area_fmax_svg(points: list[PlotPoint], path: str | Path) -> None:
    """Write the area-against-Fmax plot of ``points`` to ``path`` (SVG), atomically.

    Raises
    ------
    ModuleNotFoundError
        When matplotlib is not installed.
    ValueError
        When ``points`` is empty.
    """
    if not points:
        raise ValueError("area/Fmax plot: no measured point to draw")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tritpack.golden.fileio import atomic_path

    targets = list(dict.fromkeys(p.target for p in points))
    fig, axes = plt.subplots(1, len(targets), figsize=(6.4 * len(targets), 4.8), squeeze=False)
    try:
        for ax, target in zip(axes[0], targets, strict=True):
            mine = [p for p in points if p.target == target]
            for p in mine:
                err = [[p.fmax_mhz - p.low_mhz], [p.high_mhz - p.fmax_mhz]]
                ax.errorbar([p.area], [p.fmax_mhz], yerr=err, fmt="o", capsize=3,
                            label=p.label)
            ax.axhline(mine[0].target_mhz, linestyle="--", color="grey",
                       label=f"target {mine[0].target_mhz:g} MHz")
            ax.set_title(target)
            ax.set_xlabel(f"logic used ({mine[0].area_unit})")
            ax.set_ylabel("Fmax (MHz)")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize="small")
        fig.tight_layout()
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as tmp:
            # metadata Date None: the same figures give the same file.
            fig.savefig(tmp, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
