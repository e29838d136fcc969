"""Invented names for companies and people (no real customer data anywhere)."""

from __future__ import annotations

import random
import re

_PREFIX = (
    "Acme Aero Alpine Amber Apex Arbor Argent Astra Atlas Aurora Azure Basalt Beacon Birch "
    "Blue Bolt Boreal Bright Cedar Celest Cinder Cobalt Comet Coral Crest Crystal Cyan Delta "
    "Dune Echo Ember Emerald Falcon Fern Flint Forge Frost Garnet Glacier Granite Harbor Hazel "
    "Helix Indigo Iris Ivory Jade Juniper Kestrel Lagoon Lark Lumen Lunar Maple Marble Meadow "
    "Meridian Mesa Nimbus Noble North Nova Oak Onyx Orbit Pacific Pine Polar Prairie Prism "
    "Quartz Quill Raven Redwood Ridge River Rowan Sable Sage Sierra Silver Solar Spruce Summit "
    "Tidal Timber Topaz Trident Tundra Umber Vale Vertex Violet Willow Zenith Zephyr"
).split()
_CORE = (
    "Analytics Bank Bio Cloud Code Commerce Data Devices Dynamics Energy Engineering Finance "
    "Foods Freight Games Genomics Grid Health Holdings Industries Insurance Labs Learning "
    "Logistics Machines Media Medical Metrics Mobility Networks Pharma Power Retail Robotics "
    "Security Semiconductors Software Solutions Space Systems Telecom Therapeutics Travel "
    "Ventures Vision Works Capital Materials Motors Optics Partners Platforms Research Studios"
).split()
_SUFFIX = ["Inc.", "LLC", "GmbH", "Ltd", "S.A.", "B.V.", "AG", "Corp.", "Pty Ltd", "Oy", "AB",
           "K.K.", "S.p.A.", "SAS", "Group"]
_TLDS = ["com", "com", "com", "io", "net", "de", "co.uk", "nl", "fr", "dev", "org", "ca"]

FIRST = (
    "Aiko Alba Amir Anouk Arjun Astrid Bastian Bea Bilal Bodhi Carmen Cato Chiara Dalia Dev "
    "Edda Elio Emre Esme Fabian Fiona Goran Greta Hamid Helga Ilse Imani Ingo Isla Jasper Jonas "
    "Kai Kalani Keiko Lars Leila Lior Luca Maeve Malik Mara Mateo Mina Nadia Nils Nora Oskar "
    "Paloma Pia Raj Rania Rafael Sana Selin Sven Tariq Thea Tomas Una Vera Viktor Wanda Xavi "
    "Yael Yannick Zainab Zeynep"
).split()
LAST = (
    "Achterberg Adeyemi Albrecht Bakshi Barros Bergstrom Castillo Chen Dahl Delacroix Ekwueme "
    "Falk Ferreira Gallo Haddad Hartmann Ibarra Ishikawa Jaramillo Jovanovic Kamara Kaur Keller "
    "Laine Lindgren Machado Moreau Nakamura Novak Oduya Okafor Park Petrov Quint Ramos Rossi "
    "Sandoval Sato Schulz Silva Takahashi Tanaka Ueda Varga Vogel Wagner Weiss Yilmaz Zhou"
).split()


def normalize(name: str | None) -> str:
    """docs/integrity-rules.md: Unicode case-folding, trimming, collapsing inner whitespace."""
    return " ".join((name or "").casefold().split())


def slug(name: str) -> str:
    """A host-name label from a company name: 'Blue Data GmbH' -> 'bluedata'."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w]
    return "".join(words[:2]) or "company"


class CompanyNames:
    """Draws company names that are unique after normalization (so no duplicate is unplanned)."""

    def __init__(self, rng: random.Random, reserved: set[str]):
        self.rng = rng
        self.used = {normalize(n) for n in reserved}
        self.slugs: set[str] = set()

    def draw(self) -> str:
        rng = self.rng
        for attempt in range(40):
            name = f"{rng.choice(_PREFIX)} {rng.choice(_CORE)} {rng.choice(_SUFFIX)}"
            if attempt > 10:
                name = f"{rng.choice(_PREFIX)} {rng.choice(_PREFIX)} {rng.choice(_CORE)} {rng.choice(_SUFFIX)}"
            if attempt > 25:
                name = f"{rng.choice(_PREFIX)} {rng.choice(_CORE)} {rng.randrange(2, 10**6)} {rng.choice(_SUFFIX)}"
            if self.take(name):
                return name
        raise RuntimeError("could not draw a unique company name")

    def take(self, name: str) -> bool:
        key = normalize(name)
        if key in self.used:
            return False
        self.used.add(key)
        return True

    def domain(self, name: str) -> str:
        """A valid, unique domain for a company."""
        base = slug(name)
        candidate = base
        n = 2
        while candidate in self.slugs:
            candidate = f"{base}{n}"
            n += 1
        self.slugs.add(candidate)
        return f"{candidate}.{self.rng.choice(_TLDS)}"


def person(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)
