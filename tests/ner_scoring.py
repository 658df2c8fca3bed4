"""Recall and precision of the free-text redaction on the labelled sentences of tests/fixtures/ner.

Each line of a ``*.jsonl`` file is ``{"text": ..., "per": [...], "org": [...], "loc": [...]}``:
the persons' names (without honorific), organisations' names and place names of the
sentence, as written in it (in order of appearance when one is repeated).

- a gold name is *found* when every letter of it is inside a redacted span;
- a redacted span of a kind is *right* when it overlaps a gold name of that kind;
- a place is *kept* when no redacted span overlaps it.

Run ``python -m tests.ner_scoring`` to print the figures quoted in docs/methods/secrecy.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evaluation.io.redaction import Mention, find_mentions

HERE = Path(__file__).parent / "fixtures" / "ner"


def load(name: str) -> list[dict]:
    return [json.loads(line) for line in (HERE / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def _spans(text: str, names: list[str]) -> list[tuple[int, int]]:
    out, pos = [], {}
    for n in names:
        start = text.find(n, pos.get(n, 0))
        if start < 0:
            raise ValueError(f"{n!r} is not in {text!r}")
        pos[n] = start + len(n)
        out.append((start, start + len(n)))
    return out


@dataclass
class Scores:
    sentences: int
    persons: int
    person_recall: float
    person_precision: float
    structures: int
    structure_recall: float
    structure_precision: float
    places: int
    places_kept: float
    misses: list[str]

    def line(self) -> str:
        return (f"{self.sentences} sentences: persons recall {self.person_recall:.3f} precision "
                f"{self.person_precision:.3f} (n={self.persons}); structures recall {self.structure_recall:.3f} "
                f"precision {self.structure_precision:.3f} (n={self.structures}); places kept "
                f"{self.places_kept:.3f} (n={self.places})")


def score(examples: list[dict]) -> Scores:
    found = find_mentions([e["text"] for e in examples])
    counts = dict.fromkeys(["per", "per_hit", "per_pred", "per_right", "org", "org_hit", "org_pred", "org_right",
                            "loc", "loc_kept"], 0)
    misses = []

    def covered(text: str, span: tuple[int, int], ms: list[Mention]) -> bool:
        return all(any(m.start <= i < m.end for m in ms) for i in range(*span) if text[i].isalnum())

    def overlaps(span: tuple[int, int], m: Mention) -> bool:
        return span[0] < m.end and m.start < span[1]

    for e, ms in zip(examples, found, strict=False):
        text = e["text"]
        gold = {k: _spans(text, e[k]) for k in ("per", "org", "loc")}
        for kind in ("per", "org"):
            for span in gold[kind]:
                counts[kind] += 1
                if covered(text, span, ms):
                    counts[f"{kind}_hit"] += 1
                else:
                    misses.append(f"missed {kind} {text[span[0]:span[1]]!r} in {text!r}")
        for m in ms:
            kind = "per" if m.kind == "person" else "org"
            counts[f"{kind}_pred"] += 1
            if any(overlaps(s, m) for s in gold[kind]):
                counts[f"{kind}_right"] += 1
            elif not any(overlaps(s, m) for k in ("per", "org") for s in gold[k]):
                misses.append(f"wrong {m.kind} {text[m.start:m.end]!r} in {text!r}")
        for span in gold["loc"]:
            counts["loc"] += 1
            if not any(overlaps(span, m) for m in ms):
                counts["loc_kept"] += 1
            else:
                misses.append(f"lost place {text[span[0]:span[1]]!r} in {text!r}")

    def ratio(a: int, b: int) -> float:
        return counts[a] / counts[b] if counts[b] else 1.0

    return Scores(len(examples), counts["per"], ratio("per_hit", "per"), ratio("per_right", "per_pred"),
                  counts["org"], ratio("org_hit", "org"), ratio("org_right", "org_pred"),
                  counts["loc"], ratio("loc_kept", "loc"), misses)


if __name__ == "__main__":
    for name in sorted(p.name for p in HERE.glob("*.jsonl")):
        s = score(load(name))
        print(f"{name}: {s.line()}")
        for m in s.misses:
            print("   ", m)
