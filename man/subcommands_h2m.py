#!/usr/bin/env python3
"""Writes a help2man include file with a SUBCOMMANDS section: each
subcommand's own --help (and a subcommand's subcommands'), as roff.

Usage: subcommands_h2m.py PROGRAM OUTPUT

help2man turns only the program's top-level --help into the page; this adds
what `PROGRAM SUB --help` prints, so the page and the help never disagree.
The footer every help repeats (how zsupd is found, the exit codes) is left
out of the subcommands: the page has it once, from the top-level help.
"""
import re
import subprocess
import sys


def help_text(program, words):
    out = subprocess.run([program, *words, "--help"], check=True, capture_output=True, text=True)
    return out.stdout.splitlines()


def roff(text):
    text = text.replace("\\", "\\e").replace("-", "\\-")
    return "\\&" + text if text[:1] in (".", "'") else text


def sections(lines):
    """(description lines, usage, [(heading, [(term, description)])], footer lines)."""
    description, usage, parts, footer = [], "", [], []
    current = None
    for line in lines:
        if line.startswith("Usage: "):
            usage = line[len("Usage: "):]
        elif re.match(r"^\S.*:$", line):
            current = (line[:-1], [])
            parts.append(current)
        elif current is not None and line.startswith("    ") and current[1]:
            term, desc = current[1][-1]
            current[1][-1] = (term, (desc + " " + line.strip()).strip())
        elif current is not None and line.startswith("  "):
            m = re.match(r"  (\S(?:.*?\S)?)(?:\s{2,}(.*))?$", line)
            current[1].append((m.group(1), m.group(2) or ""))
        elif line.strip():
            (footer if parts or usage else description).append(line)
            current = None
    return description, usage, parts, footer


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: subcommands_h2m.py PROGRAM OUTPUT")
    program, output = sys.argv[1:]
    common_footer = set(sections(help_text(program, []))[3])
    out = ["[SUBCOMMANDS]"]
    pending = [[]]
    while pending:
        words = pending.pop(0)
        description, usage, parts, footer = sections(help_text(program, words))
        if words:
            out += [".SS \"%s\"" % roff(usage), *map(roff, description)]
        for heading, items in parts:
            if heading == "Subcommands":
                pending[:0] = [words + [term] for term, _ in items]
                continue
            if not words:
                continue
            items = [(t, d) for t, d in items if t != "-h,--help"]
            if heading.startswith("Example"):  # command lines: kept as they are
                lines = [("%s  %s" % (t, d)).strip() for t, d in items]
                out += [".PP\n%s:" % roff(heading), ".nf", ".RS", *map(roff, lines), ".RE", ".fi"]
                continue
            if items:
                out.append(".PP\n%s:" % roff(heading))
            for term, desc in items:
                out += [".TP", "\\fB%s\\fR" % roff(term), roff(desc)]
        if words:
            rest = [line for line in footer if line not in common_footer]
            if rest:
                out += [".PP", *map(roff, rest)]
    with open(output, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
