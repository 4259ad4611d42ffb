"""Colours, hatches and markers for report figures, safe for colour-blind readers and print.

Colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"). Every series
also has a hatch pattern and a marker, and every figure carries direct labels or a legend, so
no meaning rests on colour alone. :func:`check_palette` verifies that the domain colours stay
apart for readers with protanopia, deuteranopia or tritanopia (simulated with the matrices of
Machado, Oliveira & Fernandes 2009, severity 1) and in greyscale print.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}


@dataclass(frozen=True)
class Style:
    """How one series is drawn: fill colour, hatch pattern, marker and a readable label."""

    colour: str
    hatch: str
    marker: str
    label: str


DOMAIN_STYLES: dict[str, Style] = {
    "clinical": Style(OKABE_ITO["blue"], "", "o", "Clinical"),
    "managerial": Style(OKABE_ITO["vermillion"], "////", "s", "Managerial"),
    "professional": Style(OKABE_ITO["bluish green"], "|||", "^", "Professional"),
    "personal": Style(OKABE_ITO["yellow"], "xxx", "D", "Personal"),
    "other": Style("#BBBBBB", "---", "v", "Other"),
}
"""One style per work domain (metrics.md, Notation)."""

_SERIES_COLOURS = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish green"],
    OKABE_ITO["reddish purple"],
    OKABE_ITO["orange"],
    OKABE_ITO["sky blue"],
    OKABE_ITO["yellow"],
    OKABE_ITO["black"],
)
_SERIES_HATCHES = ("", "////", "|||", "xxx", "\\\\\\\\", "---", "+++", "/")
"""Line hatches only: a dotted or circled hatch is a path of thousands of curves, which
makes a printed figure hundreds of times larger."""
_SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def series_style(i: int, label: str) -> Style:
    """The i-th style of a series that is not a domain (categories, metrics, groups)."""
    n = len(_SERIES_COLOURS)
    return Style(_SERIES_COLOURS[i % n], _SERIES_HATCHES[i % n], _SERIES_MARKERS[i % n], label)


def domain_style(domain: str) -> Style:
    return DOMAIN_STYLES.get(domain, DOMAIN_STYLES["other"])


def text_colour_on(fill: str) -> str:
    """Black or white, whichever reads better on `fill` (WCAG relative luminance)."""
    return "#000000" if _luminance(_rgb(fill)) > 0.179 else "#FFFFFF"


# -- checking -----------------------------------------------------------------------------------

_MACHADO: dict[str, np.ndarray] = {
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopia": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) / 255 for i in (0, 2, 4)])


def _linear(c: np.ndarray) -> np.ndarray:
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _luminance(c: np.ndarray) -> float:
    return float(np.dot(_linear(c), [0.2126, 0.7152, 0.0722]))


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = m @ np.clip(linear_rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate_cvd(hex_colour: str, kind: str) -> np.ndarray:
    """CIELAB of a colour as seen with a colour-vision deficiency ('normal' for none)."""
    lin = _linear(_rgb(hex_colour))
    if kind != "normal":
        lin = _MACHADO[kind] @ lin
    return _lab(lin)


def check_palette(
    colours: dict[str, str] | None = None, *, min_delta_e: float = 15.0
) -> dict[str, float]:
    """The smallest CIE76 colour difference between any two colours, for normal vision and
    each simulated deficiency; raises ValueError if any is below `min_delta_e`.

    Greyscale print is checked separately by :func:`greyscale_lightness` together with the
    hatches, which carry the distinction there."""
    cols = colours or {k: s.colour for k, s in DOMAIN_STYLES.items()}
    out: dict[str, float] = {}
    for kind in ("normal", *_MACHADO):
        labs = {k: simulate_cvd(v, kind) for k, v in cols.items()}
        worst = min(
            (float(np.linalg.norm(labs[a] - labs[b])), a, b)
            for a, b in itertools.combinations(labs, 2)
        )
        out[kind] = worst[0]
        if worst[0] < min_delta_e:
            raise ValueError(
                f"colours {worst[1]} and {worst[2]} differ by only {worst[0]:.1f} for {kind}"
            )
    return out


def greyscale_lightness(hex_colour: str) -> float:
    """CIELAB lightness L* (0-100) of a colour printed in greyscale."""
    return float(_lab(_linear(_rgb(hex_colour)))[0])


__all__ = [
    "DOMAIN_STYLES",
    "OKABE_ITO",
    "Style",
    "check_palette",
    "domain_style",
    "greyscale_lightness",
    "series_style",
    "simulate_cvd",
    "text_colour_on",
]
