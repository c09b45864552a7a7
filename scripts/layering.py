#!/usr/bin/env python3
"""Count imports that run against the layering inside src/engine and src/sim.

Each top-level module of engine/ and sim/ has a layer (LAYERS below, lowest first). An import
of module B from module A is *against the layering* when B's layer is above A's; inside sim/,
one handler importing another handler counts too (they share plumbing through `sim::rest`
instead). A line carrying `// layering: <reason>` is listed as excused, not counted.

    python3 scripts/layering.py          # counts, and each import against the layering
    python3 scripts/layering.py -q       # counts only

Exits 1 when an import runs against the layering without a reason.
"""
import os, re, sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")

# engine/: lowest first. A module may import its own layer and any below.
ENGINE = [
    # base: no engine imports but each other
    ["sanitize", "clock", "crypto", "paths", "findings", "files"],
    # the recording HTTP client and its TLS and bounds: it knows no run and no event
    ["http", "tls", "bounds"],
    # the vocabulary: shared types every step uses (Config, Event, Report, environment, app kind
    # and policies, coverage, the integration's record)
    ["model", "kinds"],
    # boundaries over the vocabulary: where a token may go, secrets kept, reading Salesforce
    ["trust", "vault", "recall", "classify"],
    # the run context the steps record into
    ["context"],
    # the steps
    ["environment", "login", "landing", "oauth", "org", "app", "coverage", "record", "guard",
     "ledger", "journal", "fix", "fix_metadata", "grant_fix", "undo", "setup"],
    # the conductor
    ["run"],
    # policy and output over a finished report
    ["verdict", "render", "export", "hints", "change"],
    # watching over time reuses all of the above
    ["watch"],
]
SIM = [
    # leaves
    ["crypto", "filter"],
    # SOQL
    ["soql", "soql_time", "std_fields"],
    # what an org is made of: scenarios, seeded rows, generated Sage People data
    ["seed", "scenario", "data"],
    # the org's state (and the monitoring app it holds), the org's record
    ["state", "monitor", "record"],
    # what the handlers share: the REST plumbing (wire.rs), the org's objects as SOQL tables
    # (tables.rs, team_member.rs), how Salesforce answers in 2026 (answers.rs)
    ["wire", "tables", "team_member", "answers"],
    # the handlers: none imports another
    ["rest", "oauth", "soap", "sobjects", "composite", "record_api",
     "cli_calls", "query_api", "sage", "faults", "fleet_api"],
    # the server and fleets
    ["server", "fleet"],
]
# sim handlers: one importing another counts
SIM_HANDLERS = set(SIM[5])

def layer_of(layers):
    return {m: i for i, ms in enumerate(layers) for m in ms}

USE_RE = re.compile(r"\buse\s+([^;]+);", re.S)
PATH_RE = re.compile(r"\b(?:crate::(engine|sim)::|super::)((?:[a-z_][a-z0-9_]*::)*[a-z_A-Z][A-Za-z0-9_]*)")

def module_of(rel):
    # rel: path under engine/ or sim/ -> (top module, sub-path parts)
    parts = rel[:-3].split("/")
    if parts[-1] == "mod":
        parts = parts[:-1]
    return parts

def expand(tree):
    """Expand a use tree `a::{b, c::{d}}` into paths."""
    tree = re.sub(r"\s+", "", tree)
    out = []
    def rec(prefix, t):
        i = t.find("{")
        if i < 0:
            for p in split_top(t):
                out.append(prefix + p)
            return
        head, body = t[:i], t[i + 1 : t.rfind("}")]
        for part in split_top(body):
            if "{" in part:
                rec(prefix + head, part)
            else:
                out.append(prefix + head + part)
    def split_top(s):
        depth, cur, res = 0, "", []
        for ch in s:
            if ch == "{": depth += 1
            if ch == "}": depth -= 1
            if ch == "," and depth == 0:
                res.append(cur); cur = ""
            else:
                cur += ch
        if cur: res.append(cur)
        return res
    for top in split_top(tree):
        rec("", top)
    return out

def resolve(area, here, path):
    """Resolve `path` (as written in module `here`, a list) to the top module of `area` it names."""
    segs = path.split("::")
    if segs[0] == "crate":
        if len(segs) > 2 and segs[1] == area:
            return segs[2]
        return None
    cur = list(here)
    while segs and segs[0] in ("super", "self"):
        if segs[0] == "super":
            cur = cur[:-1]
        segs = segs[1:]
    full = cur + segs
    return full[0] if full else None

def scan(area, layers, handlers=()):
    lay = layer_of(layers)
    base = os.path.join(ROOT, area)
    bad, excused, unknown = [], [], set()
    for dirpath, _, files in os.walk(base):
        for fn in files:
            if not fn.endswith(".rs"):
                continue
            full = os.path.join(dirpath, fn)
            rel = os.path.relpath(full, base)
            here = module_of(rel)
            if rel == "mod.rs":
                continue  # the root declares and re-exports
            me = here[0]
            text = open(full, encoding="utf-8").read()
            # drop #[cfg(test)] modules: tests may reach anywhere
            cut = re.search(r"#\[cfg\(test\)\]\s*mod\s+tests", text)
            if cut:
                text = text[: cut.start()]
            lines = text.split("\n")
            seen = set()
            for ln, line in enumerate(lines, 1):
                cands = []
                for m in USE_RE.finditer(line):
                    cands += expand(m.group(1))
                stmt = line
                # multi-line use: gather
                if re.match(r"\s*(pub(\([a-z]+\))?\s+)?use\s", line) and ";" not in line:
                    j = ln
                    while j < len(lines) and ";" not in lines[j - 1]:
                        j += 1
                        stmt += lines[j - 1]
                    m = USE_RE.search(stmt)
                    if m:
                        cands += expand(m.group(1))
                for m in PATH_RE.finditer(line):
                    if m.group(1):
                        cands.append("crate::" + m.group(1) + "::" + m.group(2))
                    else:
                        cands.append("super::" + m.group(2))
                for c in cands:
                    if not (c.startswith("crate::") or c.startswith("super::") or c.startswith("self::")):
                        continue
                    tgt = resolve(area, here, c)
                    if tgt is None or tgt == me or tgt[:1].isupper():
                        continue
                    if not (os.path.exists(os.path.join(base, tgt + ".rs")) or os.path.isdir(os.path.join(base, tgt))):
                        continue  # an item of the root module
                    if tgt not in lay:
                        unknown.add(tgt)
                        continue
                    if me not in lay:
                        unknown.add(me)
                        continue
                    against = lay[tgt] > lay[me] or (me in handlers and tgt in handlers)
                    if not against or (ln, tgt) in seen:
                        continue
                    seen.add((ln, tgt))
                    # excuse on the line or the one above
                    ctx = "\n".join(lines[max(0, ln - 4) : ln])
                    item = f"{area}/{rel}:{ln}: {me} -> {tgt}"
                    (excused if "layering:" in ctx else bad).append(item)
    return bad, excused, unknown

def main():
    quiet = "-q" in sys.argv
    total = 0
    for area, layers, handlers in (("engine", ENGINE, ()), ("sim", SIM, SIM_HANDLERS)):
        bad, excused, unknown = scan(area, layers, handlers)
        total += len(bad)
        print(f"{area}: {len(bad)} against the layering, {len(excused)} excused")
        if not quiet:
            for b in sorted(bad):
                print("  " + b)
            for e in sorted(excused):
                print("  (excused) " + e)
        if unknown:
            print(f"  modules with no layer: {sorted(unknown)}")
    # non-zero when any import runs against the layering without a reason (for CI)
    return 1 if total else 0

if __name__ == "__main__":
    sys.exit(main())
