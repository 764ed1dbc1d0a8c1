"""A YAML subset reader, enough for Kubernetes manifests (the stdlib has none).

Supported: block mappings and sequences (including "- key: v" compact forms
and sequences at the same indentation as their parent key), plain, single- and
double-quoted scalars (multi-line too), literal "|" and folded ">" block
scalars with chomping (-, +) and indentation indicators, flow collections
("[a, b]", "{a: 1}", spanning lines), comments, multi-document streams
("---", "..."), "%" directives. Not supported (a YamlError names the line):
anchors "&", aliases "*", tags "!", complex keys "?", tabs used as indentation.

Scalars resolve as Kubernetes' YAML library (go-yaml v2, YAML 1.1) resolves
them, because that is what kubectl does with the same file: null/~/empty are
null; true/false/yes/no/on/off/y/n (three spellings each) are booleans; 0x..
hex, 0o.. and leading-zero octal, 0b.. binary and decimal are integers;
decimal/exponent forms and .inf/.nan are floats; everything else is a string.
Mapping keys become strings ("true", "1"), as sigs.k8s.io/yaml makes them, and
a repeated key silently replaces the earlier value, as in kubectl.
"""

import re

__all__ = ["YamlError", "load_all", "load"]


class YamlError(ValueError):
    pass


_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"}
_FALSE = {"n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"}
_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9_]*)$")
_OCT_RE = re.compile(r"^[-+]?0[0-7_]+$")
_HEX_RE = re.compile(r"^[-+]?0x[0-9a-fA-F_]+$")
_OCT2_RE = re.compile(r"^[-+]?0o[0-7_]+$")
_BIN_RE = re.compile(r"^[-+]?0b[01_]+$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$")
_INF = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"}
_NINF = {"-.inf", "-.Inf", "-.INF"}
_NAN = {".nan", ".NaN", ".NAN"}


def resolve_plain(s):
    """Types a plain (unquoted) scalar the way go-yaml v2 does."""
    if s in _NULLS:
        return None
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    c = s[0]
    if c.isdigit() or c in "+-.":
        sign = -1 if c == "-" else 1
        body = s.lstrip("+-").replace("_", "")
        if _INT_RE.match(s):
            return sign * int(body)
        if _HEX_RE.match(s):
            return sign * int(body[2:], 16)
        if _OCT2_RE.match(s):
            return sign * int(body[2:], 8)
        if _BIN_RE.match(s):
            return sign * int(body[2:], 2)
        if _OCT_RE.match(s):
            return sign * int(body, 8)
        if _FLOAT_RE.match(s) and any(ch.isdigit() for ch in s):
            return float(s.replace("_", ""))
        if s in _INF:
            return float("inf")
        if s in _NINF:
            return float("-inf")
        if s in _NAN:
            return float("nan")
    return s


def _key_string(k):
    if isinstance(k, str):
        return k
    if k is None:
        return "null"
    if isinstance(k, bool):
        return "true" if k else "false"
    return str(k)


_ESCAPES = {
    "0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
    "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
    "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029",
}


class _Parser:
    def __init__(self, lines, first_line):
        self.lines = lines
        self.base = first_line  # 1-based number of lines[0] in the file
        self.i = 0

    # -- helpers ---------------------------------------------------------
    def err(self, msg, i=None):
        n = self.base + (self.i if i is None else i)
        raise YamlError("yaml: line %d: %s" % (n, msg))

    @staticmethod
    def indent_of(line):
        n = len(line) - len(line.lstrip(" "))
        return n

    def is_blank(self, i):
        s = self.lines[i].strip()
        return s == "" or s.startswith("#")

    def skip_blank(self):
        while self.i < len(self.lines) and self.is_blank(self.i):
            self.i += 1

    def check_indent(self, line):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            self.err("found a tab character where an indentation space is expected")

    # -- structure -------------------------------------------------------
    def parse_document(self):
        self.skip_blank()
        if self.i >= len(self.lines):
            return None
        col = self.indent_of(self.lines[self.i])
        node = self.parse_block(col)
        self.skip_blank()
        if self.i < len(self.lines):
            self.err("did not find expected <document start>")
        return node

    def parse_block(self, min_indent):
        """Parses the node whose first line is the next non-blank one, if that
        line is indented at least min_indent; else returns None."""
        self.skip_blank()
        if self.i >= len(self.lines):
            return None
        line = self.lines[self.i]
        self.check_indent(line)
        col = self.indent_of(line)
        if col < min_indent:
            return None
        content = line[col:]
        if content == "-" or content.startswith("- ") or content.startswith("-\t"):
            return self.parse_seq(col)
        if self.split_key(content) is not None:
            return self.parse_map(col)
        return self.parse_inline_value(content, col, col - 1)

    def parse_seq(self, col):
        out = []
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                break
            line = self.lines[self.i]
            self.check_indent(line)
            c = self.indent_of(line)
            if c < col:
                break
            if c > col:
                self.err("bad indentation of a sequence entry")
            content = line[c:]
            if not (content == "-" or content.startswith("- ") or content.startswith("-\t")):
                if self.split_key(content) is not None:
                    break  # sequence was the value of a key at this indentation
                self.err("did not find expected '-' indicator")
            rest = content[1:]
            stripped = rest.lstrip(" \t")
            if stripped == "" or stripped.startswith("#"):
                self.i += 1
                item = self.parse_block(col + 1)
            else:
                inner = c + 1 + (len(rest) - len(stripped))
                if (stripped == "-" or stripped.startswith("- ")
                        or self.split_key(stripped) is not None):
                    # "- key: v" or "- - x": the item starts mid-line
                    self.lines[self.i] = " " * inner + stripped
                    item = self.parse_block(inner)
                else:
                    item = self.parse_inline_value(stripped, inner, col)
            out.append(item)
        return out

    def parse_map(self, col):
        out = {}
        while True:
            self.skip_blank()
            if self.i >= len(self.lines):
                break
            line = self.lines[self.i]
            self.check_indent(line)
            c = self.indent_of(line)
            if c < col:
                break
            if c > col:
                self.err("mapping values are not allowed in this context")
            content = line[c:]
            kv = self.split_key(content)
            if kv is None:
                if content == "-" or content.startswith("- "):
                    self.err("did not find expected key")
                self.err("could not find expected ':'")
            key, rest = kv
            key = _key_string(key)  # a repeated key: the last one wins, as in kubectl
            stripped = rest.strip(" \t")
            if stripped == "" or stripped.startswith("#"):
                self.i += 1
                self.skip_blank()
                value = None
                if self.i < len(self.lines):
                    nl = self.lines[self.i]
                    nc = self.indent_of(nl)
                    ncontent = nl[nc:]
                    if nc > col:
                        value = self.parse_block(col + 1)
                    elif nc == col and (ncontent == "-" or ncontent.startswith("- ")):
                        value = self.parse_seq(col)
            else:
                value = self.parse_inline_value(stripped, c + len(content) - len(rest.lstrip(" \t")), col)
            out[key] = value
        return out

    def split_key(self, content):
        """Returns (key, rest-after-colon) when content is a mapping entry."""
        if not content or content[0] in "#[{":
            return None
        if content[0] in "&*!?|>%@`":
            if content[0] in "&*!?":
                self.err("anchors, aliases, tags and complex keys are not supported")
            return None
        if content[0] in "'\"":
            try:
                key, end = self.quoted_one_line(content, 0)
            except YamlError:
                return None
            j = end
            while j < len(content) and content[j] == " ":
                j += 1
            if j < len(content) and content[j] == ":" and (
                    j + 1 == len(content) or content[j + 1] in " \t"):
                return key, content[j + 1:]
            return None
        if content.startswith("- ") or content == "-":
            return None
        j = 0
        n = len(content)
        while True:
            j = content.find(":", j)
            if j < 0:
                return None
            if j + 1 == n or content[j + 1] in " \t":
                keytext = content[:j].rstrip()
                if " #" in keytext or "\t#" in keytext:
                    return None  # the colon is inside a comment
                return resolve_plain(keytext), content[j + 1:]
            j += 1

    # -- scalars -----------------------------------------------------------
    def parse_inline_value(self, text, col, parent_indent):
        """A value that starts on the current line at column col. Consumes the
        line (and any continuation lines)."""
        c0 = text[0]
        if c0 in "&*!":
            self.err("anchors, aliases and tags are not supported")
        if c0 in "|>":
            return self.block_scalar(text, parent_indent)
        if c0 in "[{":
            return self.flow_value(text, col)
        if c0 in "'\"":
            return self.quoted_value(text, parent_indent)
        return self.plain_value(text, parent_indent)

    def plain_value(self, text, parent_indent):
        first = self.strip_comment(text)
        if ": " in first or first.endswith(":"):
            self.err("mapping values are not allowed in this context")
        parts = [first]
        self.i += 1
        # continuation lines: more indented than the parent, not comments
        while self.i < len(self.lines):
            line = self.lines[self.i]
            s = line.strip()
            if s == "":
                # a blank line inside a multi-line plain scalar is a newline
                j = self.i + 1
                while j < len(self.lines) and self.lines[j].strip() == "":
                    j += 1
                if j < len(self.lines) and self.indent_of(self.lines[j]) > parent_indent \
                        and not self.lines[j].strip().startswith("#") and len(parts) > 0 \
                        and self.continuation_ok(self.lines[j]):
                    parts.append("\n" * (j - self.i))
                    self.i = j
                    continue
                break
            if self.indent_of(line) <= parent_indent or s.startswith("#"):
                break
            if not self.continuation_ok(line):
                break
            parts.append(self.strip_comment(s))
            self.i += 1
        text = ""
        for p in parts:
            if p.startswith("\n"):
                text += p
            elif text and not text.endswith("\n"):
                text += " " + p
            else:
                text += p
        return resolve_plain(text)

    def continuation_ok(self, line):
        s = line.strip()
        if s.startswith("- ") or s == "-" or self.split_key(s) is not None:
            self.err("mapping values are not allowed in this context")
        return True

    @staticmethod
    def strip_comment(s):
        k = s.find(" #")
        t = s.find("\t#")
        if t >= 0 and (k < 0 or t < k):
            k = t
        if k >= 0:
            s = s[:k]
        return s.rstrip(" \t")

    def quoted_one_line(self, s, start):
        """Parses a quoted scalar that closes on this line. Returns (value, end)."""
        q = s[start]
        j = start + 1
        out = []
        while j < len(s):
            ch = s[j]
            if q == "'" and ch == "'":
                if j + 1 < len(s) and s[j + 1] == "'":
                    out.append("'")
                    j += 2
                    continue
                return "".join(out), j + 1
            if q == '"' and ch == '"':
                return "".join(out), j + 1
            if q == '"' and ch == "\\":
                val, j = self.escape(s, j)
                out.append(val)
                continue
            out.append(ch)
            j += 1
        raise YamlError("unterminated quoted scalar")

    def escape(self, s, j):
        if j + 1 >= len(s):
            self.err("found unknown escape character")
        e = s[j + 1]
        if e in _ESCAPES:
            return _ESCAPES[e], j + 2
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        if width is None:
            self.err("found unknown escape character")
        hexs = s[j + 2:j + 2 + width]
        if len(hexs) != width or not all(h in "0123456789abcdefABCDEF" for h in hexs):
            self.err("did not find expected hexdecimal number")
        return chr(int(hexs, 16)), j + 2 + width

    def quoted_value(self, text, parent_indent):
        q = text[0]
        # gather lines until the closing quote
        buf = text
        start_i = self.i
        while True:
            try:
                val, end = self.quoted_one_line(buf, 0)
                break
            except YamlError:
                self.i += 1
                if self.i >= len(self.lines):
                    self.err("found unexpected end of stream while scanning a quoted scalar", start_i)
                buf = buf + "\n" + self.lines[self.i]
        if "\n" in buf[:end]:
            val = self.fold_quoted(buf[:end], q)
        rest = buf[end:].strip()
        if rest and not rest.startswith("#"):
            self.err("did not find expected key")
        self.i += 1
        return val

    def fold_quoted(self, raw, q):
        # Multi-line quoted scalar: line breaks fold to a space, empty lines
        # to newlines, leading/trailing white space of lines is dropped.
        lines = raw[1:-1].split("\n")
        pieces = []
        for k, ln in enumerate(lines):
            if k > 0:
                ln = ln.lstrip(" \t")
            if k < len(lines) - 1:
                if q == '"' and ln.endswith("\\") and not ln.endswith("\\\\"):
                    ln = ln[:-1] + "\x00CONT"
                else:
                    ln = ln.rstrip(" \t")
            pieces.append(ln)
        out = ""
        blank = 0
        for k, p in enumerate(pieces):
            if k == 0:
                out = p
                continue
            if p == "" and k < len(pieces) - 1:
                blank += 1
                continue
            if out.endswith("\x00CONT"):
                out = out[:-5]
            elif blank:
                out += "\n" * blank
            else:
                out += " "
            blank = 0
            out += p
        body = q + out + q
        val, _ = self.quoted_one_line(body, 0)
        return val

    def block_scalar(self, header, parent_indent):
        h = self.strip_comment(header)
        style = h[0]
        chomp = "clip"
        explicit = None
        for ch in h[1:]:
            if ch == "-":
                chomp = "strip"
            elif ch == "+":
                chomp = "keep"
            elif ch.isdigit() and ch != "0":
                explicit = int(ch)
            else:
                self.err("did not find expected comment or line break")
        self.i += 1
        lines = []
        indent = None
        if explicit is not None:
            indent = max(parent_indent, 0) + explicit
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() == "":
                lines.append("")
                self.i += 1
                continue
            c = self.indent_of(line)
            if indent is None:
                if c <= parent_indent:
                    break
                indent = c
            if c < indent:
                break
            lines.append(line[indent:])
            self.i += 1
        # trailing blank lines belong to chomping, not to the next node
        trailing = 0
        while lines and lines[-1] == "":
            lines.pop()
            trailing += 1
        if style == "|":
            text = "\n".join(lines)
        else:
            text = ""
            prev = None
            empty = 0
            for ln in lines:
                if ln == "":
                    empty += 1
                    continue
                more = ln[0] in " \t"
                if prev is None:
                    text += "\n" * empty + ln
                elif prev == "normal" and not more:
                    text += ("\n" * empty if empty else " ") + ln
                else:
                    text += "\n" + "\n" * empty + ln
                empty = 0
                prev = "more" if more else "normal"
        if not lines:
            return "\n" * trailing if chomp == "keep" else ""
        if chomp == "strip":
            return text
        if chomp == "keep":
            return text + "\n" + "\n" * trailing
        return text + "\n"

    # -- flow collections -----------------------------------------------
    def flow_value(self, text, col):
        buf = text
        start = self.i
        while True:
            depth = self.flow_depth(buf)
            if depth == 0:
                break
            self.i += 1
            if self.i >= len(self.lines):
                self.err("did not find expected ',' or ']'", start)
            buf += "\n" + self.lines[self.i]
        self.i += 1
        fp = _Flow(buf, self, start)
        val = fp.value()
        fp.ws()
        rest = fp.s[fp.j:].strip()
        if rest and not rest.startswith("#"):
            self.err("did not find expected <document start>", start)
        return val

    @staticmethod
    def flow_depth(s):
        depth = 0
        q = None
        j = 0
        while j < len(s):
            ch = s[j]
            if q:
                if ch == "\\" and q == '"':
                    j += 2
                    continue
                if ch == q:
                    q = None
            elif ch in "'\"":
                q = ch
            elif ch in "[{":
                depth += 1
            elif ch in "]}":
                depth -= 1
                if depth == 0:
                    return 0
            elif ch == "#" and (j == 0 or s[j - 1] in " \t\n"):
                nl = s.find("\n", j)
                if nl < 0:
                    break
                j = nl
                continue
            j += 1
        return depth if depth > 0 else 0


class _Flow:
    def __init__(self, s, parser, line):
        self.s = s
        self.j = 0
        self.p = parser
        self.line = line

    def err(self, msg):
        self.p.err(msg, self.line + self.s.count("\n", 0, self.j))

    def ws(self):
        s = self.s
        while self.j < len(s):
            ch = s[self.j]
            if ch in " \t\n\r":
                self.j += 1
            elif ch == "#" and (self.j == 0 or s[self.j - 1] in " \t\n"):
                nl = s.find("\n", self.j)
                self.j = len(s) if nl < 0 else nl
            else:
                break

    def value(self):
        self.ws()
        if self.j >= len(self.s):
            self.err("unexpected end of flow collection")
        ch = self.s[self.j]
        if ch == "[":
            return self.seq()
        if ch == "{":
            return self.map()
        if ch in "'\"":
            return self.quoted()
        if ch in "&*!":
            self.err("anchors, aliases and tags are not supported")
        return self.plain()

    def quoted(self):
        # find the closing quote, allowing newlines inside (folded)
        q = self.s[self.j]
        k = self.j + 1
        while k < len(self.s):
            if self.s[k] == "\\" and q == '"':
                k += 2
                continue
            if self.s[k] == q:
                if q == "'" and k + 1 < len(self.s) and self.s[k + 1] == "'":
                    k += 2
                    continue
                break
            k += 1
        raw = self.s[self.j:k + 1]
        self.j = k + 1
        if "\n" in raw:
            return self.p.fold_quoted(raw, q)
        val, _ = self.p.quoted_one_line(raw, 0)
        return val

    def plain(self):
        s = self.s
        k = self.j
        while k < len(s):
            ch = s[k]
            if ch in ",]}":
                break
            if ch == ":" and (k + 1 == len(s) or s[k + 1] in " \t\n,]}"):
                break
            if ch == "#" and k > 0 and s[k - 1] in " \t":
                break
            k += 1
        text = " ".join(s[self.j:k].split())
        self.j = k
        return resolve_plain(text)

    def seq(self):
        self.j += 1
        out = []
        while True:
            self.ws()
            if self.j >= len(self.s):
                self.err("did not find expected ',' or ']'")
            if self.s[self.j] == "]":
                self.j += 1
                return out
            v = self.value()
            self.ws()
            if self.j < len(self.s) and self.s[self.j] == ":":
                # single-pair mapping inside a sequence: [a: 1]
                self.j += 1
                v = {_key_string(v): self.value()}
                self.ws()
            out.append(v)
            if self.j < len(self.s) and self.s[self.j] == ",":
                self.j += 1
            elif self.j < len(self.s) and self.s[self.j] == "]":
                continue
            else:
                self.err("did not find expected ',' or ']'")

    def map(self):
        self.j += 1
        out = {}
        while True:
            self.ws()
            if self.j >= len(self.s):
                self.err("did not find expected ',' or '}'")
            if self.s[self.j] == "}":
                self.j += 1
                return out
            k = _key_string(self.value())
            self.ws()
            v = None
            if self.j < len(self.s) and self.s[self.j] == ":":
                self.j += 1
                self.ws()
                if self.j < len(self.s) and self.s[self.j] in ",}":
                    v = None
                else:
                    v = self.value()
                self.ws()
            out[k] = v
            if self.j < len(self.s) and self.s[self.j] == ",":
                self.j += 1
            elif self.j < len(self.s) and self.s[self.j] == "}":
                continue
            else:
                self.err("did not find expected ',' or '}'")


_DOC_START = re.compile(r"^---(\s.*)?$")


def load_all(text):
    """Returns the list of documents in text (empty documents are skipped,
    as kubectl skips them)."""
    if isinstance(text, (bytes, bytearray)):
        text = text.decode("utf-8")
    if text.startswith("\ufeff"):
        text = text[1:]
    raw = text.replace("\r\n", "\n").split("\n")
    docs = []
    cur = []
    cur_start = 1
    in_header = True

    def flush(lines, start):
        if any(ln.strip() and not ln.strip().startswith("#") for ln in lines):
            docs.append(_Parser(lines, start).parse_document())

    for n, line in enumerate(raw, 1):
        if in_header and line.startswith("%"):
            continue
        m = _DOC_START.match(line)
        if m:
            flush(cur, cur_start)
            cur = []
            cur_start = n + 1
            rest = (m.group(1) or "").strip()
            if rest and not rest.startswith("#"):
                # "--- value" or "--- |": the document starts on this line
                cur.append(rest)
                cur_start = n
            in_header = False
            continue
        if line.rstrip() == "...":
            flush(cur, cur_start)
            cur = []
            cur_start = n + 1
            in_header = True
            continue
        if line.strip():
            in_header = False
        cur.append(line)
    flush(cur, cur_start)
    return docs


def load(text):
    docs = load_all(text)
    if len(docs) != 1:
        raise YamlError("expected one YAML document, found %d" % len(docs))
    return docs[0]
