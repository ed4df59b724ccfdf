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

Development sets (``--set``, repeatable; ``--verbose`` lists every miss and
false alarm; ``--speed`` adds the demo study and the speed test):

    python benchmarks/bench_pseudo.py --set social-care --set tab-half --set seed

- ``social-care``, ``tab-half``: the annotated sets in ../shared/pseudo-dev (beside the repository)
  (``--dev`` for another folder), imported through fieldnotes' importers as a
  user would (the .vtt/.srt documents too: gold offsets follow the words onto
  the stored text; speaker labels the importer merged away are not scored).
  A gold mention is found when every non-space character of it, a leading
  title excepted, lies inside a detected mention; precision is the share of
  detected mentions touching a gold mention; keep hits are whole-word,
  case-sensitive occurrences of keep phrases outside gold spans that a
  detected mention touches; leaked forms are gold surface forms (3+
  characters) still present whole-word in the document's ``export text``
  after accepting everything (a shifted date that lands on another date the
  document names is not counted). Bare spaCy NER is scored on the same
  stored texts in the same run.
- ``demo``: the demo study and its gold set, scored the same way.
- ``seed``: the real report in ../shared/seed: the Appendix 4 child found
  at every mention, report words that must never be suggested, and the
  entity and tag counts.
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


def _precision(detected, by_doc) -> tuple[int, int, Counter]:
    """Detected mentions that touch a gold mention (good), those that touch
    none (bad), and the text of the bad ones."""
    good = bad = 0
    wrong: Counter = Counter()
    for doc, spans in detected.items():
        for a, b, text in spans:
            if any(g["start"] < b and a < g["end"] for g in by_doc.get(doc, ())):
                good += 1
            else:
                bad += 1
                wrong[text] += 1
    return good, bad, wrong


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
    good, bad, wrong = _precision(detected, by_doc)
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


#: The shared folder beside the repository (../shared): development sets and the seed report.
SHARED = Path(__file__).resolve().parents[2] / "shared"
DEV = SHARED / "pseudo-dev"
SEED = SHARED / "seed" / "000_fbd450078d389b5a.txt"
_TITLE = re.compile(
    r"(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Doctor|Prof|Professor|Sir|Dame|Lord|Lady|Judge|PC|DC|DS|DI|Sgt|Cllr)\.?\s+(?:and\s+)?)+")


def _load_set(name: str, dev: Path, root: Path):
    """``(paths to import, manifest or None, gold records, keep phrases by
    document, terms to allow)`` for a set. Gold offsets are into the file text;
    :func:`_map_gold` moves them onto the stored text."""
    if name == "demo":
        gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
        for g in gold:
            g["doc"] = g.pop("document")
        return [SAMPLE], SAMPLE / "manifest.csv", gold, {}, ["Northmoor", "Shropshire"], {}
    if name == "social-care":
        base = dev / "social-care"
        gold = [json.loads(line) for line in (base / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        keep = json.loads((base / "keep.json").read_text(encoding="utf-8"))
        return [base / "plain"], None, gold, keep, [], {p.name: p.read_text(encoding="utf-8") for p in (base / "plain").iterdir()}
    if name == "tab-half":
        base = dev / "tab-half"
        texts = json.loads((base / "texts.json").read_text(encoding="utf-8"))
        folder = root / "tab-half"
        folder.mkdir()
        for doc_id, text in texts.items():
            (folder / f"{doc_id}.txt").write_text(text, encoding="utf-8", newline="")
        gold = [json.loads(line) for line in (base / "gold.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
        for g in gold:
            g["doc"] = g["doc"] + ".txt"
        return [folder], None, gold, {}, [], {f"{k}.txt": v for k, v in texts.items()}
    raise SystemExit(f"unknown set {name!r}: use demo, social-care, tab-half or seed")


def _map_gold(gold: list[dict], stored: dict[str, str], files: dict[str, str]) -> list[dict]:
    """Gold spans moved from the file text onto the stored text. Importers drop
    VTT/SRT cue numbers and timings, turn voice tags into labels and merge
    consecutive cues of one speaker (so a repeated label is gone), but keep the
    words in order: the two token sequences are aligned with difflib and each
    mention follows its tokens. A mention whose tokens the importer dropped (a
    merged speaker label) is left out of the scoring and counted."""
    import difflib

    out = []
    dropped = 0
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["doc"]].append(g)
    for doc, records in by_doc.items():
        text, original = stored[doc], files.get(doc, stored[doc])
        if text == original:
            out += records
            continue
        tok = re.compile(r"\w+|[^\w\s]")
        a = [(m.start(), m.end(), m.group()) for m in tok.finditer(original)]
        b = [(m.start(), m.end(), m.group()) for m in tok.finditer(text)]
        matcher = difflib.SequenceMatcher(None, [t[2] for t in a], [t[2] for t in b], autojunk=False)
        where = {}
        for i, j, n in matcher.get_matching_blocks():
            for k in range(n):
                where[i + k] = j + k
        starts = {t[0]: i for i, t in enumerate(a)}
        ends = {t[1]: i for i, t in enumerate(a)}
        for g in records:
            i, k = starts.get(g["start"]), ends.get(g["end"])
            if i is None or k is None or any(x not in where for x in range(i, k + 1)) or where[k] - where[i] != k - i:
                dropped += 1
                continue
            s, e = b[where[i]][0], b[where[k]][1]
            if text[s:e] != g["text"]:
                dropped += 1
                continue
            out.append(dict(g, start=s, end=e))
    if dropped:
        print(f"  ({dropped} gold mentions are not in the stored text (speaker labels the importer merged); not scored)")
    return out


def _needed(g: dict, text: str) -> range | list[int]:
    """The characters of a gold mention that must be covered: non-space ones,
    a leading title excepted."""
    s = g["start"]
    m = _TITLE.match(text, s, g["end"])
    if m:
        s = m.end()
    return [i for i in range(s, g["end"]) if not text[i].isspace()]


def score_set(gold, detected, texts, keep):
    """recall by category, precision, wrongly flagged forms, keep hits."""
    covered = {doc: set() for doc in texts}
    for doc, spans in detected.items():
        for a, b, _ in spans:
            covered[doc].update(range(a, b))
    by_doc = defaultdict(list)
    for g in gold:
        by_doc[g["doc"]].append(g)
    recall = defaultdict(lambda: [0, 0])
    missed = Counter()
    for g in gold:
        hit = all(i in covered.get(g["doc"], ()) for i in _needed(g, texts[g["doc"]]))
        recall[g["category"]][0] += hit
        recall[g["category"]][1] += 1
        if not hit:
            missed[(g["category"], g["text"])] += 1
    good, bad, wrong = _precision(detected, by_doc)
    keep_total = keep_hit = 0
    keep_hits = Counter()
    for doc, phrases in keep.items():
        text = texts.get(doc)
        if text is None:
            continue
        for phrase in phrases:
            for m in re.finditer(r"(?<!\w)" + re.escape(phrase) + r"(?!\w)", text):
                if any(g["start"] < m.end() and m.start() < g["end"] for g in by_doc.get(doc, ())):
                    continue
                keep_total += 1
                if any(m.start() < b and a < m.end() for a, b, _ in detected.get(doc, ())):
                    keep_hit += 1
                    keep_hits[phrase] += 1
    return recall, good, bad, wrong, missed, (keep_hit, keep_total, keep_hits)


def print_set_scores(title, recall, good, bad, wrong, missed, keep, *, verbose: bool = False) -> None:
    print_scores(title, recall, good, bad, wrong)
    keep_hit, keep_total, keep_hits = keep
    if keep_total:
        shown = ", ".join(f"{w!r} x{n}" for w, n in keep_hits.most_common(12))
        print(f"  keep hits           {keep_hit} / {keep_total}: {shown or '-'}")
    if verbose:
        print("  missed: " + "; ".join(f"{c} {t!r} x{n}" for (c, t), n in sorted(missed.items())))
        print("  wrongly flagged: " + ", ".join(f"{w!r} x{n}" for w, n in wrong.most_common()))


def run_set(name: str, args) -> None:
    from fieldnotes.project import Project
    from fieldnotes.pseudonymise.categories import SPACY_LABELS
    from fieldnotes.pseudonymise.detect import load_pipeline

    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-pseudo-"))
    try:
        paths, manifest, gold, keep, allow, files = _load_set(name, Path(args.dev), root)
        project = Project.create(root / "set.fnp")
        project.intake.import_paths(paths, manifest=manifest)
        if allow:
            project.pseudonyms.allow(allow)  # named openly by the study, as the gold set assumes
        docs = project.documents()
        texts = {d.name: project.document(d.name).text for d in docs}
        gold = _map_gold(gold, texts, files)
        nlp, message = load_pipeline(args.pipeline)
        print(message)
        t = time.perf_counter()
        report = project.pseudonyms.detect_entities(pipeline=args.pipeline, nlp=nlp)
        detect_time = time.perf_counter() - t
        detected = defaultdict(list)
        for m in project.pseudonyms.mention_log():
            detected[m["document"]].append((m["start"], m["end"], m["text"]))
        print(f"\nset {name}: {len(docs)} documents, {sum(len(t.split()) for t in texts.values()):,} words, "
              f"{len(gold)} gold mentions; {report.entities} entities, {report.mentions} mentions detected "
              f"in {detect_time:.2f} s")
        print_set_scores("fieldnotes (NER + rules + gazetteer + keep list + clustering + propagation):",
                         *score_set(gold, detected, texts, keep), verbose=args.verbose)
        if nlp is not None:
            t = time.perf_counter()
            plain = defaultdict(list)
            for doc_name, doc in zip(texts, nlp.pipe(texts.values(), batch_size=16)):
                for ent in doc.ents:
                    if ent.label_ in SPACY_LABELS:
                        plain[doc_name].append((ent.start_char, ent.end_char, ent.text))
            bare = time.perf_counter() - t
            print_set_scores(f"\nbaseline: bare spaCy NER, the same pipeline ({bare:.2f} s for nlp.pipe alone):",
                             *score_set(gold, plain, texts, keep))

        # Leaks: accept everything, export text, look for gold surface forms
        # (3+ characters, whole word, same case) in each document's export.
        project.pseudonyms.set_entity_status(None, "accepted")
        out = root / "out"
        project.pseudonyms.export_texts(out)
        forms = defaultdict(set)
        for g in gold:
            if len(g["text"]) >= 3:
                forms[g["doc"]].add(g["text"])
        # A shifted date can land on another real date of the same document
        # ("15 November" shifted to "1 October", which the text also names):
        # a date form counts as leaked only where one of its own mentions
        # still reads as it, through the view's offset map.
        date_forms = {(g["doc"], g["text"]) for g in gold if g["category"] in ("DATE", "DATETIME")}
        in_place = set()
        views = {}
        for g in gold:
            if (g["doc"], g["text"]) in date_forms:
                if g["doc"] not in views:
                    views[g["doc"]] = project.pseudonyms.pseudonymised(g["doc"])
                view, mapping = views[g["doc"]]
                a, b = mapping.range_to_view(g["start"], g["end"])
                if g["text"] in view[a:b]:
                    in_place.add((g["doc"], g["text"]))
        coincidences = 0
        leaked = []
        # The file each document was exported to, as the export named it (a
        # document name is pseudonymised too: "001-101231" may not survive).
        stems = project.pseudonyms.pseudonymised_view(ensure=False).file_names()
        ids = {name: doc_id for doc_id, name in project.conn.execute("SELECT id, name FROM documents")}
        for doc_name, surfaces in forms.items():
            exported = (out / (stems[ids[doc_name]] + ".txt")).read_text(encoding="utf-8")
            for surface in sorted(surfaces):
                hit = re.search(r"(?<!\w)" + re.escape(surface) + r"(?!\w)", exported)
                if hit and (doc_name, surface) in date_forms and (doc_name, surface) not in in_place:
                    coincidences += 1
                    continue
                if hit:
                    leaked.append(f"{surface} ({doc_name})")
                    if args.verbose:
                        print(f"  leak {surface!r} in {doc_name}: ...{exported[max(0, hit.start() - 60):hit.end() + 30]!r}")
        total_forms = sum(len(v) for v in forms.values())
        print(f"\nafter 'pseudo accept --all' and 'export text': {len(leaked)} / {total_forms} gold surface forms "
              f"(3+ characters) still readable whole-word in their document: {'; '.join(leaked) or 'none'}"
              + (f" ({coincidences} shifted date(s) that fell on another date the document names not counted)" if coincidences else ""))
        project.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


SEED_MUST_NOT = ("Children", "Education", "Appendix", "Practice", "Workforce", "Research", "Devon")


def run_seed(args) -> None:
    """The real report: the Appendix 4 child found at every mention; report
    words never suggested; entity and tag counts."""
    from fieldnotes.project import Project

    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-seed-"))
    try:
        project = Project.create(root / "seed.fnp")
        project.intake.import_paths([SEED])
        name = project.documents()[0].name
        text = project.document(name).text
        report = project.pseudonyms.detect_entities(pipeline=args.pipeline)
        log = project.pseudonyms.mention_log()
        spans = [(m["start"], m["end"]) for m in log]
        child = [m.start() for m in re.finditer(r"\bIvy\b", text)]
        found = sum(any(a <= s < b for a, b in spans) for s in child)
        flagged = Counter(text[a:b] for a, b in spans)
        # an email address that contains a word ("CSC.Research@...") is an email, not the word
        bad = [w for w in SEED_MUST_NOT if any(re.search(rf"\b{w}\b", f) and "@" not in f for f in flagged)]
        print(f"\nseed report: {report.entities} entities, {len(log)} tags (mentions)")
        print(f"  the Appendix 4 child (Ivy): {found} of {len(child)} mentions detected")
        print(f"  report words suggested (must be none of {', '.join(SEED_MUST_NOT)}): {', '.join(bad) or 'none'}")
        if args.verbose:
            print("  flagged: " + ", ".join(f"{w!r} x{n}" for w, n in flagged.most_common()))
        project.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pipeline", help="spaCy pipeline (default: the one fieldnotes resolves)")
    parser.add_argument("--repeat", type=int, default=8, help="copies of the demo study for the speed test")
    parser.add_argument("--set", dest="sets", action="append", choices=("demo", "social-care", "tab-half", "seed"),
                        help="score one development set (repeatable); without it: the demo study and speed")
    parser.add_argument("--dev", default=str(DEV), help="folder of the development sets (default %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="list every missed and wrongly flagged form")
    parser.add_argument("--speed", action="store_true", help="with --set: also run the demo study and the speed comparison")
    args = parser.parse_args()
    if args.sets:
        for name in args.sets:
            run_seed(args) if name == "seed" else run_set(name, args)
        if not args.speed:
            return
    return _demo_and_speed(args)


def _demo_and_speed(args) -> None:

    from fieldnotes.project import Project
    from fieldnotes.pseudonymise.categories import SPACY_LABELS
    from fieldnotes.pseudonymise.detect import load_pipeline

    gold = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    root = Path(tempfile.mkdtemp(prefix="fieldnotes-bench-pseudo-"))
    try:
        project = Project.create(root / "demo.fnp")
        project.intake.import_paths([SAMPLE], manifest=SAMPLE / "manifest.csv")
        project.pseudonyms.allow(["Northmoor", "Shropshire"])  # named openly by the study, as the gold set assumes
        docs = project.documents()
        texts = {d.name: project.document(d.name).text for d in docs}

        nlp, message = load_pipeline(args.pipeline)
        print(message)
        t = time.perf_counter()
        report = project.pseudonyms.detect_entities(pipeline=args.pipeline)
        detect_time = time.perf_counter() - t
        detected = defaultdict(list)
        for m in project.pseudonyms.mention_log():
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
        project.pseudonyms.set_entity_status(None, "accepted")
        out = root / "out"
        project.pseudonyms.export_texts(out)
        left = Counter()
        views = {name: project.pseudonyms.pseudonymised(name) for name in texts}
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
        big.intake.import_paths([corpus])
        big_texts = [big.document(d.name).text for d in big.documents()]
        words = sum(len(t.split()) for t in big_texts)
        t = time.perf_counter()
        for _ in nlp.pipe(big_texts, batch_size=16):
            pass
        bare = time.perf_counter() - t
        t = time.perf_counter()
        big.pseudonyms.detect_entities(pipeline=args.pipeline)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        again = big.pseudonyms.detect_entities(pipeline=args.pipeline)
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
