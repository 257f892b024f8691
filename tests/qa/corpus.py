"""Small invented documents for engine, store and indexer tests."""

from __future__ import annotations

from qa.types import Document, Page

ARCTIC = Document(
    id="northland-2031",
    title="Northland Defence Review 2031",
    pages=(
        Page(
            12,
            "# Arctic posture\n\nThe Northland navy will commission four ice-capable patrol "
            "vessels by 2034 to guard the northern sea lanes. Each vessel carries a helicopter "
            "and a crew of sixty sailors trained for polar operations.\n\nThe coast guard "
            "shares radar data with the navy through a joint maritime operations centre.",
        ),
        Page(
            13,
            "# Budget\n\nDefence spending rises to 2.4 percent of gross domestic product by "
            "2030, with most of the increase funding air defence batteries and ammunition "
            "stockpiles. Parliament reviews the procurement plan every two years.",
        ),
    ),
    source="northland.txt",
)

DESERT = Document(
    id="southmark-2029",
    title="Southmark Security Strategy 2029",
    pages=(
        Page(
            4,
            "# Border security\n\nSouthmark deploys solar-powered surveillance towers along "
            "its desert frontier to detect smuggling convoys. Drone squadrons patrol the "
            "oasis towns at night and report to regional command posts.",
        ),
        Page(
            5,
            "# Water\n\nWater scarcity is named a national security risk because aquifers "
            "beneath the capital are falling by one metre a year. The army engineers build "
            "desalination plants on the coast to supply garrisons.",
        ),
    ),
    source="southmark.txt",
)
