#!/usr/bin/env python3
"""Reports import cycles among the source files of each crate (ARCHITECTURE.md, "Files").

A file depends on another when it names an item (in `use`, or inline as `crate::…` or
`super::…`) that resolves, through `pub use` re-exports, to that other file's module. A
module's use of its own submodules is how it is built, not a dependency, and is ignored;
a submodule's use of its parent counts. A cycle means a file cannot be read without the
others of its cycle.

    scripts/import-cycles.py [-v] [CRATE_DIR ...]    (default: every workspace member;
                                                    -v: the names behind each edge)

Exit status 1 if any crate has a cycle.
"""
import os
import re
import sys

USE = re.compile(r"^\s*(pub(?:\([^)]*\))?\s+)?use\s+([a-z_][a-z0-9_]*::[^;]*);", re.M | re.S)
# A path written inline, outside `use`: `crate::validator::next_height(…)`.
INLINE = re.compile(r"(?<![A-Za-z0-9_:])((?:crate|super)(?:::[A-Za-z_][A-Za-z0-9_]*)+)")


def modules(src):
    """Module path (tuple) -> file, for every .rs file under src."""
    out = {}
    for root, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, src)[:-3].split(os.sep)
            if rel in (["lib"], ["main"]):
                mod = ()
            elif rel[-1] == "mod":
                mod = tuple(rel[:-1])
            else:
                mod = tuple(rel)
            if rel == ["main"] and () in out:
                continue
            out[mod] = path
    return out


def expand(path):
    """`a::{b, c::{d}}` -> [a::b, a::c::d]."""
    path = re.sub(r"\s+", "", path)
    i = path.find("{")
    if i < 0:
        return [path]
    depth, j = 0, i
    for j in range(i, len(path)):
        depth += {"{": 1, "}": -1}.get(path[j], 0)
        if depth == 0:
            break
    head, inner, tail = path[:i], path[i + 1 : j], path[j + 1 :]
    parts, depth, cur = [], 0, ""
    for ch in inner:
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(ch, 0)
        cur += ch
    parts.append(cur)
    return [e for p in parts if p for e in expand(head + p + tail)]


def resolve(mod, path, mods, exports=None):
    """The module file an item path lands in, following `pub use` re-exports."""
    target = lookup(mod, path, mods)
    if target is None:
        return None
    name = path.split("::")[-1].split(" as ")[0]
    seen = set()
    while exports and (target, name) in exports and (target, name) not in seen:
        seen.add((target, name))
        target = exports[(target, name)]
    return target


def lookup(mod, path, mods):
    segs = path.split("::")
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] not in ("super", "self"):
        if mod + (segs[0],) not in mods:
            return None  # another crate's path
        base = mod
    else:
        base = mod
        while segs and segs[0] in ("super", "self"):
            if segs.pop(0) == "super":
                base = base[:-1]
    target = base
    for s in segs:
        s = s.split(" as ")[0]
        if base + (s,) in mods and s not in ("self", "*"):
            base = base + (s,)
            target = base
        else:
            break
    return target


def cycles(crate):
    src = os.path.join(crate, "src")
    if not os.path.isdir(src):
        return []
    mods = modules(src)
    graph = {m: set() for m in mods}
    why = {}
    texts = {}
    for mod, file in mods.items():
        text = open(file, encoding="utf-8").read()
        texts[mod] = re.split(r"^#\[cfg\(test\)\]\s*mod tests\s*\{", text, flags=re.M)[0]
    # (module, name) -> the module a `pub use` there re-exports the name from.
    exports = {}
    for mod, text in texts.items():
        for m in USE.finditer(text):
            if m.group(1) is None:
                continue
            for path in expand(m.group(2)):
                name = path.split("::")[-1].split(" as ")[-1]
                target = lookup(mod, path, mods)
                if target is not None:
                    exports[(mod, name)] = target
    for mod, text in texts.items():
        uses = [(m.group(1) is not None, p) for m in USE.finditer(text) for p in expand(m.group(2))]
        body = re.sub(r"//[^\n]*", "", USE.sub("", text))  # doc links are not dependencies
        uses += [(False, m.group(1)) for m in INLINE.finditer(body)]
        for public, path in uses:
            if True:
                target = resolve(mod, path, mods, exports)
                if target == mod or target not in mods:
                    continue
                if target[: len(mod)] == mod:
                    continue  # a module built from its own submodules
                _ = public
                graph[mod].add(target)
                why.setdefault((mod, target), []).append(path)
    # Tarjan's strongly connected components.
    index, low, stack, on, out, n = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = n[0]
        n[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
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
                files = sorted(os.path.relpath(mods[c], crate) for c in comp)
                edges = [
                    f"    {os.path.relpath(mods[a], crate)} -> {os.path.relpath(mods[b], crate)}: "
                    + ", ".join(sorted(set(why[(a, b)])))
                    for a in comp
                    for b in comp
                    if (a, b) in why
                ]
                out.append((files, edges))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def members():
    text = open("Cargo.toml", encoding="utf-8").read()
    block = re.search(r"members\s*=\s*\[(.*?)\]", text, re.S).group(1)
    return re.findall(r'"([^"]+)"', block)


VERBOSE = "-v" in sys.argv


def main():
    crates = [a for a in sys.argv[1:] if a != "-v"] or members()
    found = 0
    for crate in crates:
        for files, edges in cycles(crate):
            found += 1
            print(f"{crate}: cycle among {', '.join(files)}")
            if VERBOSE:
                print("\n".join(edges))
    if found == 0:
        print(f"no import cycles in {len(crates)} crates")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
