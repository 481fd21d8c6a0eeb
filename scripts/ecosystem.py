#!/usr/bin/env python3
"""The ecosystem check: guardrail on public repositories at pinned commits, scored against
judged labels (tests/ecosystem/labels/<name>.json, judged as ../shared/LABELING.md says).

    scripts/ecosystem.sh DIR [--only NAME ...] [--save RESULTS.json] [--compare OLD.json]
                             [--write-measured]

DIR holds one checkout per repository of tests/ecosystem/repos.toml, named as its `name`, at its
commit (fetched by the developer: CI has no network, so this is not part of `cargo test`).
Prints, per rule, precision (TP / (TP + FP)) and recall (TP / (TP + judged true findings not
reported + misses)), then every finding not yet judged, every judged true finding now lost, and
every repository where the run could not be trusted (exit 2). `--compare` lists what changed
against an earlier `--save`. `--write-measured` writes policies/measured.toml, which `explain`
and `list` show and which decides each rule's tier, and the table of docs/ecosystem.md.
"""

import argparse
import json
import os
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ECOSYSTEM = ROOT / "tests" / "ecosystem"
# A rule is on by default when it is right this often on at least this many judged findings, or,
# for a rule real code rarely triggers, when none of its judged findings (at least one) is wrong.
DEFAULT_PRECISION = 0.95
DEFAULT_MIN_JUDGED = 15


def key(entry):
    return (entry["rule"], entry["path"], int(entry["line"]))


def run_guardrail(binary, checkout):
    command = [binary, "check", ".", "--format", "json", "--no-cache", "--preview"]
    done = subprocess.run(command, cwd=checkout, capture_output=True, text=True, timeout=1800)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        report = {"findings": [], "errors": [{"path": "", "line": 0, "message": done.stderr[-2000:]}]}
    return {"exit": done.returncode, "findings": report["findings"], "errors": report["errors"]}


def load_labels(name):
    path = ECOSYSTEM / "labels" / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else []


def score(results, repos):
    """Per rule counts, and the lists a developer acts on."""
    counts = defaultdict(Counter)
    unjudged, lost, misses = [], [], []
    for repo in repos:
        name = repo["name"]
        if name not in results:
            continue
        labels = load_labels(name)
        by_key = {}
        for label in labels:
            by_key.setdefault(key(label), label)
        reported = {key(f): f for f in results[name]["findings"]}
        for k, finding in reported.items():
            label = by_key.get(k)
            verdict = label["verdict"] if label else None
            if verdict == "MISS":
                verdict = "TP"  # a miss it now finds
            if verdict in ("TP", "FP", "UNSURE"):
                counts[k[0]][verdict] += 1
            else:
                counts[k[0]]["unjudged"] += 1
                unjudged.append((name, finding))
        for k, label in by_key.items():
            if k in reported:
                continue
            if label["verdict"] == "TP":
                counts[k[0]]["lost"] += 1
                lost.append((name, label))
            elif label["verdict"] == "MISS":
                counts[k[0]]["miss"] += 1
                misses.append((name, label))
    return counts, unjudged, lost, misses


def ratio(numerator, denominator):
    return numerator / denominator if denominator else None


def tier(count):
    tp, fp = count["TP"], count["FP"]
    judged = tp + fp
    precision = ratio(tp, judged)
    if judged >= DEFAULT_MIN_JUDGED and precision >= DEFAULT_PRECISION:
        return "default", f"precision {precision:.2f} on {judged} judged findings"
    if 1 <= judged < DEFAULT_MIN_JUDGED and fp == 0:
        return "default", f"no wrong finding among {judged} judged (a rule real code rarely triggers)"
    if judged == 0:
        return "preview", "no judged finding on the ecosystem repositories yet"
    return "preview", f"precision {precision:.2f} on {judged} judged findings (the bar: {DEFAULT_PRECISION} on {DEFAULT_MIN_JUDGED})"


def print_table(counts):
    header = f"{'rule':28} {'TP':>4} {'FP':>4} {'UNSURE':>6} {'lost':>4} {'miss':>4} {'unjudged':>8} {'precision':>9} {'recall':>6}  tier"
    print(header)
    print("-" * len(header))
    for rule in sorted(counts):
        c = counts[rule]
        precision = ratio(c["TP"], c["TP"] + c["FP"])
        recall = ratio(c["TP"], c["TP"] + c["lost"] + c["miss"])
        show = lambda value: "-" if value is None else f"{value:.2f}"
        print(f"{rule:28} {c['TP']:>4} {c['FP']:>4} {c['UNSURE']:>6} {c['lost']:>4} {c['miss']:>4} {c['unjudged']:>8} {show(precision):>9} {show(recall):>6}  {tier(c)[0]}")


def write_measured(counts, repos, commit):
    lines = [
        "# What the ecosystem check measured, per rule (written by scripts/ecosystem.sh --write-measured).",
        "# `explain` and `list` show it; `tier` decides whether a rule is on by default.",
        f"# guardrail commit: {commit}; repositories: {len(repos)} (tests/ecosystem/repos.toml).",
        "",
    ]
    for rule in sorted(counts):
        c = counts[rule]
        name, why = tier(c)
        lines += [
            f"[{rule}]",
            f'tier = "{name}"',
            f'why = "{why}"',
            f"true = {c['TP']}",
            f"false = {c['FP']}",
            f"unsure = {c['UNSURE']}",
            f"missed = {c['lost'] + c['miss']}",
            "",
        ]
    (ROOT / "policies" / "measured.toml").write_text("\n".join(lines))
    write_docs_table(counts, commit)


def write_docs_table(counts, commit):
    """The per-rule table of docs/ecosystem.md, between its markers."""
    show = lambda value: "–" if value is None else f"{value:.2f}"
    rows = [
        f"Measured at guardrail commit `{commit}` (`scripts/ecosystem.sh DIR --write-measured`).",
        "",
        "| rule | right | wrong | unsure | missed | precision | recall | tier |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for rule in sorted(counts):
        c = counts[rule]
        precision = ratio(c["TP"], c["TP"] + c["FP"])
        recall = ratio(c["TP"], c["TP"] + c["lost"] + c["miss"])
        rows.append(
            f"| `{rule}` | {c['TP']} | {c['FP']} | {c['UNSURE']} | {c['lost'] + c['miss']} | {show(precision)} | {show(recall)} | {tier(c)[0]} |"
        )
    docs = ROOT / "docs" / "ecosystem.md"
    text = docs.read_text()
    start, end = text.index("<!-- table -->") + len("<!-- table -->"), text.index("<!-- /table -->")
    docs.write_text(text[:start] + "\n" + "\n".join(rows) + "\n" + text[end:])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--bin", default=str(ROOT / "target" / "release" / "guardrail"))
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    parser.add_argument("--write-measured", action="store_true")
    args = parser.parse_args()
    repos = tomllib.loads((ECOSYSTEM / "repos.toml").read_text())["repo"]
    if args.only:
        repos = [r for r in repos if r["name"] in args.only]
    results = {}
    for repo in repos:
        checkout = args.dir / repo["name"]
        if not checkout.is_dir():
            print(f"{repo['name']}: no checkout at {checkout}, skipped", file=sys.stderr)
            continue
        results[repo["name"]] = run_guardrail(args.bin, checkout)
        r = results[repo["name"]]
        print(f"{repo['name']:16} exit {r['exit']}  {len(r['findings'])} findings, {len(r['errors'])} errors", file=sys.stderr)
    counts, unjudged, lost, misses = score(results, repos)
    print_table(counts)
    untrusted = [(n, r) for n, r in results.items() if r["exit"] == 2]
    if untrusted:
        print("\nruns that could not be trusted (exit 2):")
        for name, r in untrusted:
            for error in r["errors"]:
                print(f"  {name}: {error['path']}:{error['line']}: {error['message'][:200]}")
    if unjudged:
        print(f"\n{len(unjudged)} findings not yet judged:")
        for name, f in unjudged:
            print(f"  {name}: {f['rule']} {f['path']}:{f['line']} [{f['severity']}] {f['message'][:150]}")
    if lost:
        print(f"\n{len(lost)} judged true findings no longer reported:")
        for name, label in lost:
            print(f"  {name}: {label['rule']} {label['path']}:{label['line']} — {label['evidence'][:150]}")
    if args.compare:
        old = json.loads(args.compare.read_text())
        print("\nchanges against", args.compare)
        for name, r in results.items():
            before = {key(f) for f in old.get(name, {}).get("findings", [])}
            after = {key(f) for f in r["findings"]}
            for k in sorted(after - before):
                print(f"  + {name}: {k[0]} {k[1]}:{k[2]}")
            for k in sorted(before - after):
                print(f"  - {name}: {k[0]} {k[1]}:{k[2]}")
    if args.save:
        args.save.write_text(json.dumps(results, indent=1))
    if args.write_measured:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        write_measured(counts, repos, commit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
