"""Recall and precision of the free-text redaction on the labelled sentences of tests/fixtures/ner.

Each line of a ``*.jsonl`` file is ``{"text": ..., "per": [...], "org": [...], "loc": [...]}``:
the persons' names (without honorific), organisations' names and place names of the
sentence, as written in it (in order of appearance when one is repeated); optionally the
direct identifiers of :data:`IDENTIFIERS` (``"phone": [...]``, ``"email"``, ``"address"``,
``"url"``, ``"iban"``, ``"nir"``) and ``"keep"``, ordinary words that must survive.

- a gold name or identifier is *found* when every letter and digit of it is inside a
  redacted span (of any kind: what matters is that it is gone);
- a redacted span of a kind is *right* when it overlaps a gold item of that kind (an
  e-mail's local-part names, kind ``person``, count as persons);
- a place or a word to keep is *kept* when no redacted span overlaps it.

Spans are those of :func:`evaluation.io.redaction.find_redactions`: what
:func:`~evaluation.io.redaction.redact_texts` replaces when no name is known.

Run ``python -m tests.ner_scoring`` to print the figures quoted in docs/methods/secrecy.md
(names) and ``docs/guide/donnees-personnelles.md`` (identifiers).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.io.redaction import Mention, find_redactions

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


#: Classes of direct identifiers in the labelled sentences (kinds of :mod:`evaluation.io.identifiers`).
IDENTIFIERS = ("phone", "email", "address", "url", "iban", "nir")
_KIND = {"person": "per", "structure": "org"}


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
    identifiers: dict[str, tuple[int, float, float]] = field(default_factory=dict)  # kind → (n, recall, precision)
    words: int = 0
    words_kept: float = 1.0

    def line(self) -> str:
        out = (f"{self.sentences} sentences: persons recall {self.person_recall:.3f} precision "
               f"{self.person_precision:.3f} (n={self.persons}); structures recall {self.structure_recall:.3f} "
               f"precision {self.structure_precision:.3f} (n={self.structures}); places kept "
               f"{self.places_kept:.3f} (n={self.places})")
        out += "".join(f"; {k} recall {r:.3f} precision {p:.3f} (n={n})" for k, (n, r, p) in self.identifiers.items())
        return out + (f"; ordinary words kept {self.words_kept:.3f} (n={self.words})" if self.words else "")


def score(examples: list[dict]) -> Scores:
    found = find_redactions([e["text"] for e in examples])
    kinds = ("per", "org", *IDENTIFIERS)
    counts = {f"{k}{x}": 0 for k in kinds for x in ("", "_hit", "_pred", "_right")}
    counts.update(loc=0, loc_kept=0, keep=0, keep_kept=0)
    misses = []

    def covered(text: str, span: tuple[int, int], ms: list[Mention]) -> bool:
        return all(any(m.start <= i < m.end for m in ms) for i in range(*span) if text[i].isalnum())

    def overlaps(span: tuple[int, int], m: Mention) -> bool:
        return span[0] < m.end and m.start < span[1]

    for e, ms in zip(examples, found, strict=False):
        text = e["text"]
        gold = {k: _spans(text, e.get(k, [])) for k in (*kinds, "loc", "keep")}
        for kind in kinds:
            for span in gold[kind]:
                counts[kind] += 1
                if covered(text, span, ms):
                    counts[f"{kind}_hit"] += 1
                else:
                    misses.append(f"missed {kind} {text[span[0]:span[1]]!r} in {text!r}")
        for m in ms:
            kind = _KIND.get(m.kind, m.kind)
            counts[f"{kind}_pred"] += 1
            if any(overlaps(s, m) for s in gold[kind]):
                counts[f"{kind}_right"] += 1
            elif not any(overlaps(s, m) for k in kinds for s in gold[k]):
                misses.append(f"wrong {m.kind} {text[m.start:m.end]!r} in {text!r}")
        for what in ("loc", "keep"):
            for span in gold[what]:
                counts[what] += 1
                if not any(overlaps(span, m) for m in ms):
                    counts[f"{what}_kept"] += 1
                else:
                    misses.append(f"lost {'place' if what == 'loc' else 'word'} {text[span[0]:span[1]]!r} in {text!r}")

    def ratio(a: str, b: str) -> float:
        return counts[a] / counts[b] if counts[b] else 1.0

    identifiers = {k: (counts[k], ratio(f"{k}_hit", k), ratio(f"{k}_right", f"{k}_pred"))
                   for k in IDENTIFIERS if counts[k]}
    return Scores(len(examples), counts["per"], ratio("per_hit", "per"), ratio("per_right", "per_pred"),
                  counts["org"], ratio("org_hit", "org"), ratio("org_right", "org_pred"),
                  counts["loc"], ratio("loc_kept", "loc"), misses, identifiers, counts["keep"],
                  ratio("keep_kept", "keep"))


if __name__ == "__main__":
    import sys

    chosen = sys.argv[1:] or sorted(p.name for p in HERE.glob("*.jsonl"))
    for name in chosen:
        s = score(load(name))
        print(f"{name}: {s.line()}")
        for m in s.misses:
            print("   ", m)
