"""Guide search benchmark: accuracy on the paraphrase set, latency on a province-sized catalog.

Prints top-1 / top-3 accuracy of the real catalog on tests/data/guide_paraphrases.yaml, and
p50 / p99 query latency on a synthetic catalog of 50,000 items (a real province has about
53,000): every real item repeated for 1,250 counties, each with its own name and aliases.
Targets (issue #2): top-1 >= 95 %, p99 <= 20 ms.

    .venv/bin/python benchmarks/guide_search.py [--items 50000]
"""
from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
from pathlib import Path
from typing import Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.catalog import Catalog  # noqa: E402
from portal.schemas import Guide  # noqa: E402
from portal.search import GuideIndex  # noqa: E402

PARAPHRASES = ROOT / "tests" / "data" / "guide_paraphrases.yaml"
COUNTY_CHARS = "东南西北青山河湖平安永宁长乐新丰清泉临江兴华富阳德化光明金桥云龙石城"


def accuracy(index: GuideIndex, paraphrases: Dict[str, List[str]]) -> Dict[str, float]:
    total = top1 = top3 = 0
    for name, queries in paraphrases.items():
        for query in queries:
            names = [hit.name for hit in index.search(query, 3)]
            total += 1
            top1 += bool(names) and names[0] == name
            top3 += name in names
    return {"top1": top1 / total, "top3": top3 / total, "queries": total}


def synthetic_catalog(guides: List[Guide], size: int) -> List[Guide]:
    counties = ("".join(pair) + suffix for pair in itertools.permutations(COUNTY_CHARS, 2)
                for suffix in ("县", "区", "市"))
    out: List[Guide] = []
    for _number, county in enumerate(counties):
        for guide in guides:
            if len(out) == size:
                return out
            out.append(guide.copy(update={
                "code": f"{guide.code.split('-')[0]}-{len(out):07d}",
                "name": f"{county}{guide.name}",
                "aliases": [f"{county}{alias}" for alias in guide.aliases],
            }))
    return out


def latency(index: GuideIndex, queries: List[str], rounds: int) -> Dict[str, float]:
    for query in queries[:20]:
        index.search(query, 5)  # warm caches
    samples = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            index.search(query, 5)
            samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {"p50": statistics.median(samples), "p99": samples[int(len(samples) * 0.99) - 1], "n": len(samples)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    guides = list(Catalog.from_files().guides.values())
    paraphrases = yaml.safe_load(PARAPHRASES.read_text(encoding="utf-8"))
    result = accuracy(GuideIndex(guides), paraphrases)
    print(f"paraphrase set: {result['queries']} queries over {len(guides)} items")
    print(f"top-1 accuracy: {result['top1']:.1%}   (target >= 95%)")
    print(f"top-3 accuracy: {result['top3']:.1%}")

    started = time.perf_counter()
    big = GuideIndex(synthetic_catalog(guides, args.items))
    print(f"synthetic catalog: {args.items} items indexed in {time.perf_counter() - started:.1f} s")
    queries = [q for qs in paraphrases.values() for q in qs]
    timing = latency(big, queries, args.rounds)
    print(f"query latency over {timing['n']} queries: p50 {timing['p50']:.2f} ms, "
          f"p99 {timing['p99']:.2f} ms   (target p99 <= 20 ms)")


if __name__ == "__main__":
    main()
