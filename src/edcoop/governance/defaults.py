"""The procurement rules EdCoop ships, with their sources (../shared/domain/REFERENCE.md).

They are loaded into the rule table by a data migration as shared defaults (no agency); an
agency overrides one by saving its own rule with the same key, or adds rules of its own. A
figure whose effective date or value we could not confirm says so in its source: the agency
checks it against its counsel's reading before relying on it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

D = Decimal
GML_103 = "https://www.nysenate.gov/legislation/laws/GMU/103"
GML_104B = "https://www.nysenate.gov/legislation/laws/GMU/104-B"
CFR_200 = "https://www.ecfr.gov/current/title-2/subtitle-A/chapter-II/part-200/subpart-D"

DEFAULT_RULES: list[dict[str, Any]] = [
    # New York: GML §103 (bidding thresholds) and §104-b (policy below them).
    {"key": "ny-gml103-purchase", "jurisdiction": "NY", "funding": "local",
     "kinds": ["commodity", "service"], "method": "sealed_bids", "lower": D("20000"),
     "upper": None, "effective_from": date(2010, 6, 22), "effective_to": None,
     "name": "NY GML §103: purchase contracts over $20,000 by competitive sealed bids",
     "source": "NY General Municipal Law §103(1): purchase contracts over $20,000, counted as "
               "the reasonably expected 12-month aggregate for the same item, are let by "
               "competitive sealed bids to the lowest responsible bidder (best value where "
               "the board authorised it). Professional services are outside §103. "
               "[U: the date the $20,000 threshold took effect is not confirmed]",
     "source_url": GML_103},
    {"key": "ny-gml103-public-work", "jurisdiction": "NY", "funding": "local",
     "kinds": ["public_work"], "method": "sealed_bids", "lower": D("35000"), "upper": None,
     "effective_from": date(2010, 6, 22), "effective_to": None,
     "name": "NY GML §103: public works over $35,000 by competitive sealed bids",
     "source": "NY General Municipal Law §103(1): contracts for public work over $35,000 are "
               "let by competitive sealed bids. [U: the date the $35,000 threshold took effect "
               "is not confirmed]",
     "source_url": GML_103},
    {"key": "ny-gml104b-purchase", "jurisdiction": "NY", "funding": "local",
     "kinds": ["commodity", "service"], "method": "quotes", "lower": None, "upper": D("20000"),
     "effective_from": date(2010, 6, 22), "effective_to": None,
     "name": "NY GML §104-b: purchases up to $20,000 under the board's procurement policy",
     "source": "NY General Municipal Law §104-b: below the bidding threshold the board's own "
               "procurement policy applies, typically a ladder of verbal and written quotes. "
               "[U: set your policy's own ladder]",
     "source_url": GML_104B},
    {"key": "ny-gml104b-public-work", "jurisdiction": "NY", "funding": "local",
     "kinds": ["public_work"], "method": "quotes", "lower": None, "upper": D("35000"),
     "effective_from": date(2010, 6, 22), "effective_to": None,
     "name": "NY GML §104-b: public works up to $35,000 under the board's procurement policy",
     "source": "NY General Municipal Law §104-b: below the bidding threshold the board's own "
               "procurement policy applies. [U: set your policy's own ladder]",
     "source_url": GML_104B},
    # Federal awards: 2 CFR 200.317-327 (thresholds raised from 2025-10-01).
    {"key": "us-2cfr200-micro-2025", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "micro_purchase", "lower": None, "upper": D("15000"),
     "effective_from": date(2025, 10, 1), "effective_to": None,
     "name": "2 CFR 200.320(a)(1): micro-purchase up to $15,000",
     "source": "2 CFR 200.320(a)(1) and 200.1: micro-purchase threshold $15,000 from "
               "2025-10-01.", "source_url": CFR_200},
    {"key": "us-2cfr200-small-2025", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "quotes", "lower": D("15000"), "upper": D("350000"),
     "effective_from": date(2025, 10, 1), "effective_to": None,
     "name": "2 CFR 200.320(a)(2): small purchase (quotes) up to $350,000",
     "source": "2 CFR 200.320(a)(2): above the micro-purchase threshold and up to the "
               "simplified acquisition threshold, $350,000 from 2025-10-01, price or rate "
               "quotations from an adequate number of qualified sources.",
     "source_url": CFR_200},
    {"key": "us-2cfr200-formal-2025", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "sealed_bids", "lower": D("350000"), "upper": None,
     "effective_from": date(2025, 10, 1), "effective_to": None,
     "name": "2 CFR 200.320(b): formal procurement over $350,000",
     "source": "2 CFR 200.320(b): above the simplified acquisition threshold, sealed bids or "
               "proposals.", "source_url": CFR_200},
    {"key": "us-2cfr200-micro-2018", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "micro_purchase", "lower": None, "upper": D("10000"),
     "effective_from": date(2018, 6, 20), "effective_to": date(2025, 9, 30),
     "name": "2 CFR 200.320(a)(1): micro-purchase up to $10,000 (until 2025-09-30)",
     "source": "2 CFR 200: micro-purchase threshold $10,000 before 2025-10-01. [U: the start "
               "date of the $10,000 figure is not confirmed]", "source_url": CFR_200},
    {"key": "us-2cfr200-small-2018", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "quotes", "lower": D("10000"), "upper": D("250000"),
     "effective_from": date(2018, 6, 20), "effective_to": date(2025, 9, 30),
     "name": "2 CFR 200.320(a)(2): small purchase up to $250,000 (until 2025-09-30)",
     "source": "2 CFR 200: simplified acquisition threshold $250,000 before 2025-10-01. [U: the "
               "start date is not confirmed]", "source_url": CFR_200},
    {"key": "us-2cfr200-formal-2018", "jurisdiction": "US", "funding": "federal", "kinds": [],
     "method": "sealed_bids", "lower": D("250000"), "upper": None,
     "effective_from": date(2018, 6, 20), "effective_to": date(2025, 9, 30),
     "name": "2 CFR 200.320(b): formal procurement over $250,000 (until 2025-09-30)",
     "source": "2 CFR 200: sealed bids or proposals above $250,000 before 2025-10-01. [U: the "
               "start date is not confirmed]", "source_url": CFR_200},
    # Colorado: each board adopts its own policy (C.R.S. 22-32-109(1)(b)); an example policy.
    {"key": "co-policy-bids", "jurisdiction": "CO", "funding": "local", "kinds": [],
     "method": "sealed_bids", "lower": D("20000"), "upper": None,
     "effective_from": date(2000, 1, 1), "effective_to": None,
     "name": "Colorado district policy (example): written bids over $20,000",
     "source": "Example Colorado district purchasing policy under C.R.S. 22-32-109(1)(b): "
               "written bids over $20,000. Each board adopts its own: replace with yours. "
               "[U: the effective date is a placeholder]",
     "source_url": ""},
    {"key": "co-policy-quotes", "jurisdiction": "CO", "funding": "local", "kinds": [],
     "method": "quotes", "lower": D("10000"), "lower_inclusive": True, "upper": D("20000"),
     "effective_from": date(2000, 1, 1), "effective_to": None,
     "name": "Colorado district policy (example): three quotes from $10,000 to $20,000",
     "source": "Example Colorado district purchasing policy: three quotes for $10,000 to "
               "$20,000. Each board adopts its own: replace with yours. "
               "[U: the effective date is a placeholder]", "source_url": ""},
    {"key": "co-policy-discretion", "jurisdiction": "CO", "funding": "local", "kinds": [],
     "method": "micro_purchase", "lower": None, "upper": D("9999.99"),
     "effective_from": date(2000, 1, 1), "effective_to": None,
     "name": "Colorado district policy (example): under $10,000 at the buyer's discretion",
     "source": "Example Colorado district purchasing policy: under $10,000 no quotes are "
               "required. [U: the example policy's text for this band is not confirmed]",
     "source_url": ""},
]  # fmt: skip


# Piggybacking: using another government's contract (governance.models.PiggybackAuthority).
DEFAULT_PIGGYBACK: list[dict[str, Any]] = [
    {"jurisdiction": "NY", "effective_from": None, "effective_to": date(2026, 6, 30),
     "name": "NY GML §103(16): purchases under another government's contract",
     "source": "NY General Municipal Law §103(16): a political subdivision may purchase under "
               "a contract let by another government to the lowest responsible bidder or on "
               "best value consistent with §103; the authority sunsets June 30, 2026 unless "
               "extended. It does not extend to public works (Lynch v. Maine-Endwell CSD, "
               "2025). [U: the date the authority took effect is not given here]",
     "source_url": GML_103},
]  # fmt: skip
