"""Residual-risk queue benchmark: how many queue items must a reviewer read to
reach full recall on a development set?

For ``--set social-care`` (../shared/pseudo-dev/social-care: plain/ and
gold.jsonl, every category) or ``--set tab-half`` (texts.json and gold.jsonl;
only PERSON, CODE, ORG and LOC count), in one run:

1. import the documents into a new project (each as a .txt file, so the stored
   text is the annotated text) and run ``pseudo detect``;
2. score detection alone: a gold mention is found when every non-space
   character of it lies inside a detected mention (a leading title such as
   Mr, Mrs, Dr need not be masked), as in issue 10;
3. walk the ranked residual queue as a reviewer would: an item is accepted
   when one of its occurrences touches a gold mention (the reviewer sees it
   is identifying), and then covers all its occurrences; otherwise it is
   allowed (costs a read, covers nothing);
4. print "a reviewer reading the top N suggestions reaches recall R" for
   several N, the N after which recall stops improving, and what no queue
   item reaches.

    python benchmarks/bench_residual.py --set social-care
    python benchmarks/bench_residual.py --set tab-half [--pipeline NAME] [--show 30]

The development sets live in ../shared/pseudo-dev (override with --root).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_ROOT = REPO.parent / "shared" / "pseudo-dev"   # ../shared beside the repository
TAB_CATEGORIES = {"PERSON", "CODE", "ORG", "LOC"}
TITLES = ("Mr", "Mrs", "Ms", "Miss", "Dr", "Mx", "Sir", "Dame", "Lord", "Lady", "Judge", "Professor", "Prof")
STEPS = (0, 10, 25, 50, 100, 150, 200, 300, 500, 1000)


def load_set(root: Path, name: str) -> tuple[dict[str, str], list[dict]]:
    folder = root / name
    gold = [json.loads(line) for line in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    if name == "social-care":
        texts = {}
        for path in sorted((folder / "plain").iterdir()):
            with open(path, encoding="utf-8", newline="") as fh:
                texts[path.name] = fh.read()
    else:
        texts = json.loads((folder / "texts.json").read_text(encoding="utf-8"))
        gold = [g for g in gold if g["category"] in TAB_CATEGORIES]
    return texts, gold


def gold_chars(g: dict, text: str) -> list[int]:
    """The characters of a gold mention that must be masked: not spaces, not
    a leading title."""
    start = g["start"]
    for title in TITLES:
        for sep in (" ", ". "):
            if text.startswith(title + sep, start) and start + len(title) + len(sep) < g["end"]:
                start += len(title) + len(sep)
    return [i for i in range(start, g["end"]) if not text[i].isspace()]


def recall(gold: list[dict], texts: dict[str, str], covered: dict[str, set[int]]) -> tuple[int, Counter, Counter]:
    hit, per_cat, totals = 0, Counter(), Counter()
    for g in gold:
        ok = all(i in covered[g["doc"]] for i in gold_chars(g, texts[g["doc"]]))
        hit += ok
        per_cat[g["category"]] += ok
        totals[g["category"]] += 1
    return hit, per_cat, totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", dest="name", choices=["social-care", "tab-half"], required=True)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="folder holding the development sets")
    parser.add_argument("--pipeline", help="spaCy pipeline (default: the one fieldnotes resolves)")
    parser.add_argument("--show", type=int, default=20, help="print the top N queue items")
    parser.add_argument("--misses", action="store_true", help="list every gold mention nothing reaches, in context")
    args = parser.parse_args()

    from fieldnotes.project import Project

    texts, gold = load_set(args.root, args.name)
    tmp = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-residual-"))
    try:
        folder = tmp / "docs"
        folder.mkdir()
        stems = {}
        for name, text in texts.items():
            stem = Path(name).stem if args.name == "social-care" else name
            stems[stem] = name
            with open(folder / f"{stem}.txt", "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        project = Project.create(tmp / "set.fnp")
        project.intake.import_paths([folder])
        stored = {d.name: project.document(d.name).text for d in project.documents()}
        by_doc = {}
        for doc_name, text in stored.items():
            original = stems[Path(doc_name).stem]
            if text != texts[original]:
                print(f"warning: {doc_name} was stored differently from the annotated text; skipped", file=sys.stderr)
                continue
            by_doc[doc_name] = original
        gold = [dict(g, doc=next(k for k, v in by_doc.items() if v == g["doc"])) for g in gold
                if g["doc"] in by_doc.values()]
        texts = {k: stored[k] for k in by_doc}

        t = time.perf_counter()
        report = project.pseudonyms.detect_entities(pipeline=args.pipeline)
        detect_s = time.perf_counter() - t
        covered: dict[str, set[int]] = defaultdict(set)
        for m in project.pseudonyms.mention_log():
            covered[m["document"]].update(range(m["start"], m["end"]))
        for k in texts:
            covered[k]  # every document present
        base, per_cat, totals = recall(gold, texts, covered)

        t = time.perf_counter()
        queue = project.pseudonyms.residual_queue()
        queue_s = time.perf_counter() - t
        words = sum(len(x.split()) for x in texts.values())
        print(f"{args.name}: {len(texts)} documents, {words:,} words, {len(gold)} gold mentions"
              + (" (PERSON, CODE, ORG, LOC)" if args.name == "tab-half" else ""))
        print(f"{report.message}")
        print(f"detection: {report.entities} entities, {report.mentions} mentions in {detect_s:.1f} s; "
              f"recall {base / len(gold):.3f} ({base}/{len(gold)})  "
              + "  ".join(f"{c} {per_cat[c] / totals[c]:.3f}" for c in sorted(totals, key=lambda c: -totals[c])))
        print(f"residual queue: {len(queue)} items ({queue_s:.2f} s)")

        spans_by_doc = defaultdict(list)
        for g in gold:
            spans_by_doc[g["doc"]].append((g["start"], g["end"]))
        curve = [base]
        accepted_at = []
        current = base
        for n, item in enumerate(queue, 1):
            useful = any(any(o.start < b and a < o.end for a, b in spans_by_doc[o.document]) for o in item.occurrences)
            if useful:
                accepted_at.append(n)
                for o in item.occurrences:
                    covered[o.document].update(range(o.start, o.end))
                current, per_cat_now, _ = recall(gold, texts, covered)
            curve.append(current)
        final = curve[-1]
        print(f"\nitems that touch a gold mention: {len(accepted_at)} of {len(queue)}")
        print("a reviewer reading the top N suggestions reaches recall R:")
        for n in STEPS:
            if n > len(queue):
                break
            print(f"  N = {n:5d}   R = {curve[n] / len(gold):.3f}  ({curve[n]}/{len(gold)})")
        plateau = next(n for n in range(len(curve)) if curve[n] == final)
        print(f"  N = {len(queue):5d}   R = {final / len(gold):.3f}  (whole queue)")
        print(f"recall stops improving after N = {plateau} items: R = {final / len(gold):.3f} "
              f"(detection alone {base / len(gold):.3f})")
        _, per_cat_end, _ = recall(gold, texts, covered)
        print("  after the whole queue, by category: "
              + "  ".join(f"{c} {per_cat_end[c] / totals[c]:.3f}" for c in sorted(totals, key=lambda c: -totals[c])))
        for target in (0.95, 0.97, 0.99):
            reach = next((n for n in range(len(curve)) if curve[n] >= target * len(gold)), None)
            print(f"  recall {target:.2f} reached at N = {reach if reach is not None else 'never'}")
        missed = Counter()
        examples = defaultdict(list)
        for g in gold:
            if not all(i in covered[g["doc"]] for i in gold_chars(g, texts[g["doc"]])):
                missed[g["category"]] += 1
                if len(examples[g["category"]]) < 8:
                    examples[g["category"]].append(g["text"])
                if args.misses:
                    text = texts[g["doc"]]
                    left = " ".join(text[max(0, g["start"] - 40):g["start"]].split())
                    right = " ".join(text[g["end"]:g["end"] + 30].split())
                    print(f"  missed {g['category']:<7} {g['doc'][:24]:<24} …{left} [{g['text']}] {right}…")
        print("not reached by detection or any queue item: "
              + ("; ".join(f"{c} {n} (e.g. {', '.join(repr(x) for x in examples[c])})" for c, n in missed.most_common())
                 or "none"))
        if args.show:
            print(f"\ntop {args.show} queue items (+ touches gold):")
            for n, item in enumerate(queue[:args.show], 1):
                mark = "+" if n in accepted_at else " "
                print(f"  {n:3d} {mark} {item.score:5.2f} {item.kind:<10} {item.category:<9} {item.text!r} "
                      f"x{len(item.occurrences)}: {'; '.join(item.reasons[:3])}")
        project.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
