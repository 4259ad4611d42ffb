"""Reliability: how far two observers, or several coders, agree.

- ``kappa``: the one Cohen's kappa (None where undefined: no unit both raters coded, or
  chance agreement 1) and percent agreement;
- ``alpha``: Krippendorff's alpha from the coincidence matrix, at any level of measurement;
- ``coding``: agreement of coders on coded text, per code and overall (docs/qualitative.md);
- ``alignment``: Needleman-Wunsch alignment with IORapp's choices;
- ``iorapp``: the IORapp-compatible inter-observer reliability composite of two co-observed
  sessions, its task fragments and a study table (docs/ior.md);
- ``pairs``: which sessions were co-observed;
- ``sliced``: plain Cohen's kappa over one-second slices, a measure offered for comparison.

The names below are the public API; import them from ``workweave.analysis.reliability``.
"""

from __future__ import annotations

from workweave.analysis.reliability.alignment import NwAlignment, needleman_wunsch
from workweave.analysis.reliability.alpha import (
    LEVELS,
    Coincidences,
    alpha_from_coincidences,
    as_units,
    coincidences,
    krippendorff_alpha,
)
from workweave.analysis.reliability.coding import (
    TEXT_LEVELS,
    AgreementReport,
    AgreementRow,
    text_agreement,
)
from workweave.analysis.reliability.iorapp import (
    MEASURES,
    NO_TASK,
    NONE_LABEL,
    TABLE_COLUMNS,
    Fragment,
    FragmentOrder,
    IorResult,
    MatchedPair,
    duration_pairs,
    fleiss_kappa_two,
    fragment_table,
    ior_pair,
    ior_table,
    iota_nominal,
    lin_ccc,
    match_fragments,
    observer_sort_key,
    second_labels,
    session_fragments,
    session_length,
)
from workweave.analysis.reliability.kappa import (
    KappaDetails,
    cohen_kappa,
    cohen_kappa_details,
    is_missing,
    percent_agreement,
)
from workweave.analysis.reliability.pairs import detect_pairs
from workweave.analysis.reliability.sliced import TimeSlicedKappa, time_sliced_kappa

__all__ = [
    "LEVELS",
    "MEASURES",
    "NONE_LABEL",
    "NO_TASK",
    "TABLE_COLUMNS",
    "TEXT_LEVELS",
    "AgreementReport",
    "AgreementRow",
    "Coincidences",
    "Fragment",
    "FragmentOrder",
    "IorResult",
    "KappaDetails",
    "MatchedPair",
    "NwAlignment",
    "TimeSlicedKappa",
    "alpha_from_coincidences",
    "as_units",
    "cohen_kappa",
    "cohen_kappa_details",
    "coincidences",
    "detect_pairs",
    "duration_pairs",
    "fleiss_kappa_two",
    "fragment_table",
    "ior_pair",
    "ior_table",
    "iota_nominal",
    "is_missing",
    "krippendorff_alpha",
    "lin_ccc",
    "match_fragments",
    "needleman_wunsch",
    "observer_sort_key",
    "percent_agreement",
    "second_labels",
    "session_fragments",
    "session_length",
    "text_agreement",
    "time_sliced_kappa",
]
