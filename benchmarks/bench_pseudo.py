"""Pseudonymisation benchmark: quality against the gold set, and speed against
bare spaCy ``nlp.pipe``.

Quality, on the demo study (sample_data/) and its gold set
(benchmarks/gold/sample_gold.jsonl, 1,000+ identifying mentions):

- recall per category: the share of gold mentions whose every character is
  covered by a detected mention (targets: PERSON >= 0.99, every category
  >= 0.97);
- precision: the share of detected mentions that touch a gold mention
  (target >= 0.90);
- ordinary words wrongly replaced: detected mentions touching no gold mention,
  by surface form;
- surface forms left after accepting everything: each gold mention's text
  still present (exact, then any case) in the pseudonymised export.

Baselines printed beside: plain spaCy NER alone (the same pipeline, its PERSON,
GPE/LOC/FAC, ORG and DATE entities) scored the same way.

Speed: ``Project.detect_entities`` (NER + rules + clustering + storing) against
bare ``nlp.pipe`` of the same pipeline over the same texts, in the same run,
over the demo study repeated --repeat times (target within 1.2x).

    python benchmarks/bench_pseudo.py [--pipeline NAME] [--repeat 8]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_data"
GOLD = REPO / "benchmarks" / "gold" / "sample_gold.jsonl"


def score(gold: list[dict], detected: dict[str, list[tuple[int, int, str]]]):
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["document"]].append(g)
    covered: dict[str, set[int]] = {}
    for doc, spans in detected.items():
        chars = set()
        for a, b, _ in spans:
            chars.update(range(a, b))
        covered[doc] = chars
    recall = defaultdict(lambda: [0, 0])
    for g in gold:
        hit = all(i in covered.get(g["document"], ()) for i in range(g["start"], g["end"]))
        recall[g["category"]][0] += hit
        recall[g["category"]][1] += 1
    good = bad = 0
    wrong = Counter()
    for doc, spans in detected.items():
        for a, b, text in spans:
            if any(g["start"] < b and a < g["end"] for g in by_doc.get(doc, ())):
                good += 1
            else:
                bad += 1
                wrong[text] += 1
    return recall, good, bad, wrong


def print_scores(title: str, recall, good: int, bad: int, wrong: Counter) -> None:
    total_hit = sum(v[0] for v in recall.values())
    total = sum(v[1] for v in recall.values())
    print(title)
    for category in sorted(recall, key=lambda c: -recall[c][1]):
        hit, n = recall[category]
        print(f"  recall {category:<11} {hit / n:6.3f}  ({hit}/{n})")
    print(f"  recall all          {total_hit / total:6.3f}  ({total_hit}/{total})")
    print(f"  precision           {good / max(1, good + bad):6.3f}  ({good} of {good + bad} detected mentions touch a gold mention)")
    shown = ", ".join(f"{w!r} x{n}" for w, n in wrong.most_common(12))
    print(f"  wrongly flagged     {bad} mention(s), {len(wrong)} form(s): {shown or '-'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", help="spaCy pipeline (default: the one fieldnotes resolves)")
    parser.add_argument("--repeat", type=int, default=8, help="copies of the demo study for the speed test")
    args = parser.parse_args()

    from fieldnotes.project import Project
    from fieldnotes.pseudonymise.categories import SPACY_LABELS
    from fieldnotes.pseudonymise.detect import load_pipeline

    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-pseudo-"))
    try:
        project = Project.create(root / "demo.fnp")
        project.import_paths([SAMPLE], manifest=SAMPLE / "manifest.csv")
        project.allow(["Northmoor", "Shropshire"])  # named openly by the study, as the gold set assumes
        docs = project.documents()
        texts = {d.name: project.document(d.name).text for d in docs}

        nlp, message = load_pipeline(args.pipeline)
        print(message)
        t = time.perf_counter()
        report = project.detect_entities(pipeline=args.pipeline)
        detect_time = time.perf_counter() - t
        detected = defaultdict(list)
        for m in project.mention_log():
            detected[m["document"]].append((m["start"], m["end"], m["text"]))
        recall, good, bad, wrong = score(gold, detected)
        print(f"\ndemo study: {len(docs)} documents, {sum(len(t.split()) for t in texts.values()):,} words, "
              f"{len(gold)} gold mentions; {report.entities} entities, {report.mentions} mentions detected "
              f"in {detect_time:.2f} s")
        print_scores("fieldnotes (NER + rules + gazetteer + clustering + propagation):", recall, good, bad, wrong)

        if nlp is not None:
            plain = defaultdict(list)
            for name, doc in zip(texts, nlp.pipe(texts.values())):
                for ent in doc.ents:
                    if ent.label_ in SPACY_LABELS:
                        plain[name].append((ent.start_char, ent.end_char, ent.text))
            print_scores("\nbaseline: plain spaCy NER, the same pipeline:", *score(gold, plain))

        # After accepting everything, what of the gold set is still readable?
        # Each gold mention is followed into the pseudonymised view through
        # the offset map: left means the view still shows its words there.
        project.set_entity_status(None, "accepted")
        out = root / "out"
        project.export_texts(out)
        left = Counter()
        views = {name: project.pseudonymised(name) for name in texts}
        for g in gold:
            view, mapping = views[g["document"]]
            a, b = mapping.range_to_view(g["start"], g["end"])
            if g["text"].casefold() in view[a:b].casefold():
                left[g["text"]] += 1
        exported = " ".join(p.read_text(encoding="utf-8") for p in out.iterdir())
        anywhere = sorted({g["text"] for g in gold if re.search(r"(?<!\w)" + re.escape(g["text"]) + r"(?!\w)", exported)})
        forms = {g["text"] for g in gold}
        print(f"\nafter 'pseudo accept --all' and 'export text': {sum(left.values())} of {len(gold)} gold mentions "
              f"({len(left)} of {len(forms)} surface forms) still readable where they were: "
              f"{', '.join(sorted(left)) or 'none'}")
        print(f"  gold surface forms occurring anywhere in the export, as ordinary words included: "
              f"{', '.join(anywhere) or 'none'}")
        project.close()

        if nlp is None:
            print("\nspeed: no statistical pipeline installed; nothing to compare with nlp.pipe")
            return
        # Speed on a bigger corpus: the demo study repeated.
        corpus = root / "corpus"
        corpus.mkdir()
        for i in range(args.repeat):
            for name, text in texts.items():
                (corpus / f"copy{i:02d}_{Path(name).stem}.txt").write_text(f"Copy {i}.\n\n{text}", encoding="utf-8")
        big = Project.create(root / "big.fnp")
        big.import_paths([corpus])
        big_texts = [big.document(d.name).text for d in big.documents()]
        words = sum(len(t.split()) for t in big_texts)
        t = time.perf_counter()
        for _ in nlp.pipe(big_texts, batch_size=16):
            pass
        bare = time.perf_counter() - t
        t = time.perf_counter()
        big.detect_entities(pipeline=args.pipeline)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        again = big.detect_entities(pipeline=args.pipeline)
        rerun = time.perf_counter() - t
        print(f"\nspeed over {len(big_texts)} documents, {words:,} words:")
        print(f"  bare nlp.pipe (same pipeline, same texts)      {bare:7.2f} s")
        print(f"  fieldnotes pseudo detect (NER+rules+clusters)   {ours:7.2f} s   ratio {ours / bare:.2f} x (target <= 1.2 x)")
        print(f"  second run (unchanged documents skipped)        {rerun:7.2f} s   ({again.skipped} skipped, re-cluster only)")
        big.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
