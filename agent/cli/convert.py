"""`jaga convert`: bring other datasets into jaga's formats (PAN 2012 -> conversation JSONL)."""

from __future__ import annotations

import argparse
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from agent.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "convert",
        help="convert other datasets to jaga's formats",
        description="Convert other datasets to jaga's formats, for `jaga eval`.",
    )
    formats = parser.add_subparsers(dest="dataset", metavar="DATASET", required=True)
    pan = formats.add_parser(
        "pan2012",
        help="PAN 2012 sexual-predator identification XML -> conversation JSONL",
        description="Convert the PAN 2012 sexual-predator identification corpus (XML) to the "
        "conversation JSONL that `jaga eval` reads. Predators write as 'other', the other "
        "participant as 'child'; first_signal is the first marked line (--lines) or the "
        "predator's first message.",
    )
    pan.add_argument("xml", type=Path, help="the corpus XML file")
    pan.add_argument(
        "--predators",
        type=Path,
        required=True,
        help="text file of predator author ids, one per line",
    )
    pan.add_argument(
        "--lines", type=Path, help="optional text file of predatory lines: conversation-id<TAB>line"
    )
    pan.add_argument("-o", "--output", type=Path, help="output JSONL (default: standard output)")
    pan.set_defaults(func=run_pan2012)


def run_pan2012(args: argparse.Namespace) -> int:
    from agent.importers import pan2012

    for path in (args.xml, args.predators, args.lines):
        if path is not None and not path.is_file():
            raise UsageError(f"{path}: no such file")
    try:
        predators = pan2012.read_predators(args.predators)
        marked = pan2012.read_marked_lines(args.lines) if args.lines else {}
    except (ValueError, UnicodeDecodeError) as e:
        raise UsageError(str(e)) from None
    records = pan2012.convert(args.xml, predators, marked)
    try:
        if args.output:
            with open(args.output, "w", encoding="utf-8") as out:
                count = pan2012.write_jsonl(records, out)
        else:
            count = pan2012.write_jsonl(records, sys.stdout)
    except ET.ParseError as e:
        print(
            f"jaga convert: {args.xml}:{e.position[0]}: not valid PAN 2012 XML: {e}",
            file=sys.stderr,
        )
        return 1
    print(f"{count} conversations converted", file=sys.stderr)
    return 0
