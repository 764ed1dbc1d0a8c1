#!/usr/bin/env python3
"""Differential tests: `ferry config ...` against the real `kubectl config ...`.

Each scenario (tests/integration/config_scenarios/*.txt, format in
docs/testing.md) names starting files, environment and a list of commands.
The commands run once with kubectl and once with ferry, with the same argv
after the program name, in the same work directory path (wiped and recreated
in between: kubectl writes absolute paths into files and output, so both
programs must see the same paths; HOME is that directory too). Compared, per
command: stdout bytes, exit code and stderr; then every file left in the work
directory (path, bytes, mode).

stderr: compared byte for byte, except where kubectl follows its error line
with a usage hint ("See 'kubectl config view --help' for usage.", "Run ...",
"Usage: ...", help text): there only the first line is compared, since the
hint names the program and ferry's help text is its own. Hex numbers of 6+
digits (Go pointers in some kubectl messages) compare equal to each other.

Usage:
  config_diff.py                  compare (needs FERRY; KUBECTL optional)
  config_diff.py --self-check     run kubectl twice per scenario, check that
                                  every scenario is deterministic
  config_diff.py --show [-k PAT]  print what kubectl does (for writing scenarios)
  options: -k PAT (only scenarios whose name contains PAT), -j N (parallel),
           --list, --keep (leave work dirs in place)

Output is TAP: one line per scenario, diagnostics as '#' lines.
Python 3 standard library only.
"""

import argparse
import concurrent.futures
import difflib
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCENARIO_DIR = os.path.join(HERE, "config_scenarios")
FIXTURE_DIR = os.path.join(HERE, "fixtures")
CMD_TIMEOUT = 30


class ScenarioError(Exception):
    pass


class Scenario:
    def __init__(self, name, origin):
        self.name = name
        self.origin = origin  # "file.txt:line"
        self.setup = []       # ("copy", dest, fixture, mode) | ("write", dest, text, mode)
                              # | ("mkdir", dest, mode)
        self.env = []         # (name, value) with $W unexpanded
        self.runs = []        # (args, options)
        self.notes = []


# ---------------------------------------------------------------- parsing

# Per-command comparison options, written "run[opt,opt]: ARGS":
#   ignore-stdout      help text on stdout (kubectl prints usage there on some errors)
#   ignore-stderr      help text on stderr
#   stderr-first-line  compare only the first line of stderr (multi-line debug dumps)
#   unordered-stdout   compare stdout lines as a sorted list: kubectl prints them in
#                      Go map order, which changes from run to run (get-clusters)
RUN_OPTIONS = {"ignore-stdout", "ignore-stderr", "stderr-first-line", "unordered-stdout"}


def parse_mode(word, where):
    if not re.fullmatch(r"0[0-7]{3}", word):
        raise ScenarioError("%s: bad mode %r (want e.g. 0600)" % (where, word))
    return int(word, 8)


def parse_file(path):
    scenarios = []
    cur = None
    pending = None  # inline file being collected: [dest, lines, mode]
    base = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()

    def flush_pending():
        nonlocal pending
        if pending is not None:
            text = "".join(line + "\n" for line in pending[1])
            cur.setup.append(("write", pending[0], text, pending[2]))
            pending = None

    for lineno, raw in enumerate(lines, 1):
        where = "%s:%d" % (base, lineno)
        stripped = raw.strip()
        if pending is not None and re.match(r"^\s+\|", raw):
            body = raw.split("|", 1)[1]
            if body.startswith(" "):
                body = body[1:]
            pending[1].append(body)
            continue
        if cur is not None:
            flush_pending()
        if not stripped or stripped.startswith("#"):
            continue
        if ":" not in stripped:
            raise ScenarioError("%s: expected 'key: value', got %r" % (where, raw))
        key, _, val = stripped.partition(":")
        key, val = key.strip(), val.strip()
        if key == "scenario":
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", val):
                raise ScenarioError("%s: scenario name %r: letters, digits, . _ - only" % (where, val))
            cur = Scenario(val, where)
            scenarios.append(cur)
            continue
        if cur is None:
            raise ScenarioError("%s: %r before the first 'scenario:'" % (where, key))
        if key == "files":
            for word in shlex.split(val):
                dest, eq, fixture = word.partition("=")
                if not eq or not dest or not fixture:
                    raise ScenarioError("%s: files: want DEST=FIXTURE, got %r" % (where, word))
                if not os.path.isfile(os.path.join(FIXTURE_DIR, fixture)):
                    raise ScenarioError("%s: no fixture %r" % (where, fixture))
                cur.setup.append(("copy", dest, fixture, 0o600))
        elif key == "file":
            words = val.split()
            if not words or len(words) > 2:
                raise ScenarioError("%s: file: want 'file: PATH [MODE]'" % where)
            mode = parse_mode(words[1], where) if len(words) == 2 else 0o600
            pending = [words[0], [], mode]
        elif key == "mkdir":
            words = val.split()
            if not words or len(words) > 2:
                raise ScenarioError("%s: mkdir: want 'mkdir: PATH [MODE]'" % where)
            mode = parse_mode(words[1], where) if len(words) == 2 else 0o755
            cur.setup.append(("mkdir", words[0], mode))
        elif key == "chmod":
            words = val.split()
            if len(words) != 2:
                raise ScenarioError("%s: chmod: want 'chmod: MODE PATH'" % where)
            cur.setup.append(("chmod", words[1], parse_mode(words[0], where)))
        elif key == "env":
            name, eq, value = val.partition("=")
            if not eq or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                raise ScenarioError("%s: env: want NAME=VALUE" % where)
            cur.env.append((name, value))
        elif re.fullmatch(r"run(\[[a-z,-]*\])?", key):
            run_opts = set(filter(None, key[4:-1].split(","))) if key != "run" else set()
            if run_opts - RUN_OPTIONS:
                raise ScenarioError("%s: unknown run option(s) %s" % (where, sorted(run_opts - RUN_OPTIONS)))
            try:
                args = shlex.split(val)
            except ValueError as e:
                raise ScenarioError("%s: %s" % (where, e))
            cur.runs.append((args, run_opts))
        elif key == "note":
            cur.notes.append(val)
        else:
            raise ScenarioError("%s: unknown key %r" % (where, key))
    if cur is not None:
        flush_pending()
    for s in scenarios:
        if not s.runs:
            raise ScenarioError("%s: scenario %s has no 'run:'" % (s.origin, s.name))
    return scenarios


def load_scenarios():
    scenarios = []
    for name in sorted(os.listdir(SCENARIO_DIR)):
        if name.endswith(".txt"):
            scenarios.extend(parse_file(os.path.join(SCENARIO_DIR, name)))
    seen = {}
    for s in scenarios:
        if s.name in seen:
            raise ScenarioError("%s: duplicate scenario name %s (first at %s)"
                                % (s.origin, s.name, seen[s.name]))
        seen[s.name] = s.origin
    return scenarios


# ---------------------------------------------------------------- running

def expand(text, work):
    return text.replace("$W", work)


def prepare(scenario, work):
    if os.path.lexists(work):
        shutil.rmtree(work)
    os.mkdir(work, 0o755)
    os.chmod(work, 0o755)
    for step in scenario.setup:
        kind, dest = step[0], os.path.join(work, step[1])
        if kind in ("copy", "write"):
            os.makedirs(os.path.dirname(dest), 0o755, exist_ok=True)
            if kind == "copy":
                with open(os.path.join(FIXTURE_DIR, step[2]), "rb") as f:
                    data = f.read()
            else:
                data = step[2].encode()
            with open(dest, "wb") as f:
                f.write(data)
            os.chmod(dest, step[3])
        elif kind == "mkdir":
            os.makedirs(dest, step[2], exist_ok=True)
            os.chmod(dest, step[2])
        elif kind == "chmod":
            os.chmod(dest, step[2])


def snapshot(work):
    """Every entry under work: {relpath: (kind, mode, bytes-or-target)}."""
    snap = {}
    for root, dirs, files in os.walk(work):
        dirs.sort()
        for name in dirs + sorted(files):
            full = os.path.join(root, name)
            rel = os.path.relpath(full, work)
            st = os.lstat(full)
            mode = stat.S_IMODE(st.st_mode)
            if stat.S_ISLNK(st.st_mode):
                snap[rel] = ("link", mode, os.readlink(full).encode())
            elif stat.S_ISDIR(st.st_mode):
                snap[rel] = ("dir", mode, b"")
            elif stat.S_ISREG(st.st_mode):
                with open(full, "rb") as f:
                    snap[rel] = ("file", mode, f.read())
            else:
                snap[rel] = ("other", mode, b"")
    return snap


def run_sequence(prog, scenario, work):
    """Runs the scenario's commands with prog in a freshly prepared work dir.
    Returns (results, snapshot, changed paths); results: one dict per command."""
    prepare(scenario, work)
    before = snapshot(work)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": work,
        "LANG": "C.UTF-8",
        "XDG_STATE_HOME": os.path.join(work, ".local", "state"),
    }
    for name, value in scenario.env:
        env[name] = expand(value, work)
    results = []
    for args, opts in scenario.runs:
        argv = [prog] + [expand(a, work) for a in args]
        try:
            p = subprocess.run(argv, cwd=work, env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=CMD_TIMEOUT)
            res = {"rc": p.returncode, "out": p.stdout, "err": p.stderr}
        except subprocess.TimeoutExpired as e:
            res = {"rc": "timeout", "out": e.stdout or b"", "err": e.stderr or b""}
        except OSError as e:
            res = {"rc": "exec failed: %s" % e, "out": b"", "err": b""}
        res["args"] = args
        res["opts"] = opts
        results.append(res)
    after = snapshot(work)
    changed = {p for p, v in after.items() if before.get(p) != v}
    return results, after, changed


# ---------------------------------------------------------------- comparing

def hinted(err):
    """True when kubectl's stderr carries a usage hint after the error line."""
    lines = err.split(b"\n")
    if len(lines) <= 2 and not (len(lines) == 2 and lines[1]):
        return False
    return any(re.match(rb"(See '|Run '|Usage:|Use \")", l) for l in lines[1:])


def normalize_err(b):
    """Go pointers that kubectl prints in some messages ("map[dev:0xc000346f00]")
    differ from run to run: any long hex number compares equal."""
    return re.sub(rb"0x[0-9a-f]{6,}", b"0xADDR", b)


def sorted_lines(b):
    return b"".join(sorted(b.splitlines(keepends=True)))


def first_line(b):
    return b.split(b"\n", 1)[0]


def text_diff(label, want, got):
    a = want.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    b = got.decode("utf-8", "backslashreplace").splitlines(keepends=True)
    out = []
    for line in difflib.unified_diff(a, b, "kubectl " + label, "ferry " + label, n=2):
        out.append(line if line.endswith("\n") else line + "\\ (no newline at end)\n")
    if not out and want != got:
        out = ["%s differs: %r vs %r\n" % (label, want[:200], got[:200])]
    return out


def compare(scenario, ref, got, ref_name="kubectl", got_name="ferry"):
    """Returns a list of human-readable difference lines; empty when equal."""
    diffs = []
    (rres, rsnap), (gres, gsnap) = ref[:2], got[:2]
    for i, (r, g) in enumerate(zip(rres, gres), 1):
        cmd = "command %d: %s" % (i, shlex.join(r["args"]))
        local = []
        if r["rc"] != g["rc"]:
            local.append("exit code: %s %s, %s %s\n" % (ref_name, r["rc"], got_name, g["rc"]))
        rout, gout = r["out"], g["out"]
        if "unordered-stdout" in r["opts"]:
            rout, gout = sorted_lines(rout), sorted_lines(gout)
        if "ignore-stdout" not in r["opts"] and rout != gout:
            local += text_diff("stdout", rout, gout)
        rerr, gerr = normalize_err(r["err"]), normalize_err(g["err"])
        if "ignore-stderr" in r["opts"]:
            pass
        elif hinted(rerr) or "stderr-first-line" in r["opts"]:
            if first_line(rerr) != first_line(gerr):
                local.append("stderr (first line compared)\n")
                local += text_diff("stderr[0]", first_line(r["err"]) + b"\n",
                                   first_line(g["err"]) + b"\n")
        elif rerr != gerr:
            local += text_diff("stderr", r["err"], g["err"])
        if local:
            diffs.append(cmd + "\n")
            diffs += ["  " + l for l in local]
    for path in sorted(set(rsnap) | set(gsnap)):
        a, b = rsnap.get(path), gsnap.get(path)
        if a == b:
            continue
        if a is None:
            diffs.append("file %s: left by %s only\n" % (path, got_name))
        elif b is None:
            diffs.append("file %s: left by %s only\n" % (path, ref_name))
        elif a[0] != b[0]:
            diffs.append("file %s: %s is a %s, %s a %s\n" % (path, ref_name, a[0], got_name, b[0]))
        else:
            if a[1] != b[1]:
                diffs.append("file %s: mode %s %04o, %s %04o\n" % (path, ref_name, a[1], got_name, b[1]))
            if a[2] != b[2]:
                diffs.append("file %s: contents differ\n" % path)
                diffs += ["  " + l for l in text_diff(path, a[2], b[2])]
    for path in sorted(gsnap):
        if path.endswith(".lock"):
            diffs.append("file %s: lock file left behind by %s\n" % (path, got_name))
    return diffs


# ---------------------------------------------------------------- programs

def kubectl_minor(path):
    try:
        p = subprocess.run([path, "version", "--client", "-o", "json"], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=30)
        v = json.loads(p.stdout)["clientVersion"]["gitVersion"]
    except (OSError, ValueError, KeyError, subprocess.TimeoutExpired):
        return None, None
    m = re.match(r"v1\.(\d+)\.", v)
    return (int(m.group(1)) if m else None), v


def find_kubectl():
    """KUBECTL if set; else kubectl on PATH, unless that is the Cloud SDK's
    dispatcher (it asks the current context's server for /version before
    every command), in which case its kubectl.1.32 sibling."""
    if os.environ.get("KUBECTL"):
        k = shutil.which(os.environ["KUBECTL"]) or os.environ["KUBECTL"]
        return os.path.abspath(k), None
    k = shutil.which("kubectl")
    candidates = []
    if k:
        candidates.append(k)
        real_dir = os.path.dirname(os.path.realpath(k))
        candidates += [os.path.join(real_dir, "kubectl.1.%d" % m) for m in (32, 33, 34)]
    candidates.append("/usr/local/bin/kubectl")
    for c in candidates:
        if os.access(c, os.X_OK):
            minor, v = kubectl_minor(c)
            if minor is not None and minor >= 32 and "dispatcher" not in v:
                return c, None
    return None, "no kubectl >= 1.32 found (set KUBECTL or run scripts/setup)"


# ---------------------------------------------------------------- main

def tap_diag(lines):
    for l in lines:
        for part in l.rstrip("\n").split("\n"):
            print("#   " + part)


def show(scenario, res):
    results, snap, changed = res
    out = ["scenario %s (%s)" % (scenario.name, scenario.origin)]
    for r in results:
        out.append("$ %s   [exit %s]" % (shlex.join(r["args"]), r["rc"]))
        for label, key in (("out", "out"), ("err", "err")):
            if r[key]:
                for line in r[key].decode("utf-8", "backslashreplace").splitlines():
                    out.append("  %s| %s" % (label, line))
                if not r[key].endswith(b"\n"):
                    out.append("  %s| (no newline at end)" % label)
    for path, (kind, mode, data) in sorted(snap.items()):
        new = path in changed
        out.append("  file %s %s %04o %d bytes%s" % (path, kind, mode, len(data),
                                                      " (changed)" if new else ""))
        if new and kind == "file":
            for line in data.decode("utf-8", "backslashreplace").splitlines():
                out.append("    | " + line)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--self-check", nargs="?", type=int, const=3, default=0, metavar="RUNS",
                    help="run kubectl RUNS times (default 3) and compare each run with the first")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("-k", dest="pattern")
    ap.add_argument("-j", dest="jobs", type=int, default=2)
    opts = ap.parse_args()

    try:
        scenarios = load_scenarios()
    except ScenarioError as e:
        print("1..1\nnot ok 1 - config scenarios parse\n# %s" % e)
        return 1
    if opts.pattern:
        scenarios = [s for s in scenarios if opts.pattern in s.name]
    if opts.list:
        for s in scenarios:
            print("%s\t%s" % (s.name, s.origin))
        return 0

    print("1..%d" % len(scenarios))
    kubectl, why = find_kubectl()
    ferry = os.environ.get("FERRY")
    if kubectl is None:
        why_skip = why
    elif not (opts.self_check or opts.show) and not (ferry and os.access(ferry, os.X_OK)):
        why_skip = "ferry binary not found (set FERRY)"
    else:
        why_skip = None
    if why_skip:
        for i, s in enumerate(scenarios, 1):
            print("ok %d - %s # SKIP %s" % (i, s.name, why_skip))
        return 0
    print("# kubectl: %s (%s)" % (kubectl, kubectl_minor(kubectl)[1]))

    os.umask(0o022)
    base = tempfile.mkdtemp(prefix="ferry-diff-")

    def one(s):
        work = os.path.join(base, s.name)
        ref = run_sequence(kubectl, s, work)
        if opts.show:
            return show(s, ref), []
        if opts.self_check:
            diffs = ["file %s: lock file left behind by kubectl\n" % p
                     for p in ref[1] if p.endswith(".lock")]
            for n in range(2, max(2, opts.self_check) + 1):
                got = run_sequence(kubectl, s, work)
                diffs += compare(s, ref, got, "kubectl(1)", "kubectl(%d)" % n)
        else:
            got = run_sequence(os.path.abspath(ferry), s, work)
            diffs = compare(s, ref, got)
        if not opts.keep:
            shutil.rmtree(work, ignore_errors=True)
        return None, diffs

    failed = 0
    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, opts.jobs)) as pool:
            for i, (s, (text, diffs)) in enumerate(
                    zip(scenarios, pool.map(one, scenarios)), 1):
                if text is not None:
                    print(text)
                    continue
                if diffs:
                    failed += 1
                    print("not ok %d - %s" % (i, s.name))
                    print("#   %s" % s.origin)
                    for n in s.notes:
                        print("#   note: %s" % n)
                    tap_diag(diffs)
                else:
                    print("ok %d - %s" % (i, s.name))
                sys.stdout.flush()
    finally:
        if not opts.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print("# work dirs kept under %s" % base)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
