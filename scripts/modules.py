#!/usr/bin/env python3
"""Who imports whom in src/, the import cycles, and the longest functions.

    python3 scripts/modules.py            # the module list, cycles, the 5 longest functions
    python3 scripts/modules.py --check    # exit 1 on a cycle or a function over 100 lines

A module is a file under src/ (a folder's mod.rs, or the file named like the folder, is the
folder's module). An edge A -> B is any `crate::b::...` / `super::...` / `concbench::b::...`
path in A that resolves to module B. A module and its own submodules are one unit (a parent
declares and re-exports its children, children use their parent's items), so edges between
an ancestor and its descendant are not cycles; every other loop is.
Functions are measured from their `fn` line to the closing brace at the same indentation.
"""
import re
import sys
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"
LIMIT = 100


def module_of(path: Path) -> tuple:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts in (["lib"], ["main"]):
        return ()
    if parts[0] == "bin":
        return ("bin",) + tuple(parts[1:])
    if parts[-1] == "mod":
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return re.sub(r'"(?:\\.|[^"\\])*"', '""', text)


def expand_uses(text: str):
    """Every path a `use` brings in, with brace groups expanded."""
    for m in re.finditer(r"\buse\s+([^;]+);", text):
        yield from expand(m.group(1).replace("\n", " ").replace(" ", ""))


def expand(spec: str):
    i = spec.find("{")
    if i < 0:
        yield spec.split(" as ")[0]
        return
    head, body = spec[:i], spec[i + 1 : spec.rfind("}")]
    depth, start = 0, 0
    for j, ch in enumerate(body + ","):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            part = body[start:j]
            start = j + 1
            if part:
                yield from expand(head + part)


def resolve(path: str, here: tuple, modules: set):
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] in ("crate", "concbench"):
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    else:
        return None
    best = base
    for k in range(1, len(segs) + 1):
        cand = base + tuple(segs[:k])
        if cand in modules:
            best = cand
    return best


def related(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def functions(path: Path):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)(?:pub(?:\([^)]*\))?\s+)?(?:const\s+)?(?:unsafe\s+)?fn\s+(\w+)", line)
        if not m or line.rstrip().endswith(";"):
            continue
        indent = m.group(1)
        for j in range(i, len(lines)):
            if lines[j] == indent + "}" or (j == i and line.rstrip().endswith("}")):
                yield (j - i + 1, f"{path.relative_to(SRC.parent)}:{i + 1}", m.group(2))
                break


def main() -> int:
    files = sorted(SRC.rglob("*.rs"))
    modules = {module_of(f) for f in files}
    edges = {}
    for f in files:
        here = module_of(f)
        text = strip_comments(f.read_text())
        paths = set(expand_uses(text))
        paths |= set(re.findall(r"\b(?:crate|super|concbench)(?:::\w+)+", text))
        targets = {resolve(p, here, modules) for p in paths}
        edges.setdefault(here, set()).update(
            t for t in targets if t is not None and t != here and not related(here, t)
        )

    name = lambda m: "::".join(m) or "(crate root)"
    print(f"{len(modules)} modules under src/; each line: module -> what it imports\n")
    for m in sorted(modules):
        print(f"{name(m)} -> {', '.join(sorted(name(t) for t in edges.get(m, ()))) or '-'}")

    # Tarjan's strongly connected components: any component of two or more is a cycle.
    index, low, stack, on, comps, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                comps.append(comp)

    sys.setrecursionlimit(10000)
    for v in sorted(modules):
        if v not in index:
            visit(v)
    print(f"\nimport cycles: {len(comps)}")
    for comp in comps:
        print("  " + " <-> ".join(sorted(name(m) for m in comp)))

    fns = sorted((fn for f in files for fn in functions(f)), reverse=True)
    print(f"\nlongest functions (limit {LIMIT} lines):")
    for length, where, fname in fns[:5]:
        print(f"  {length:4} {where} {fname}")
    over = [fn for fn in fns if fn[0] > LIMIT]
    print(f"functions over {LIMIT} lines: {len(over)}")
    if "--check" in sys.argv[1:]:
        return 1 if comps or over else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
