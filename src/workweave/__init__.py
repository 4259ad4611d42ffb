"""workweave: capture, measure, check and show the intertwined clinical and managerial work of
clinician-managers."""

__version__ = "0.1.0"
