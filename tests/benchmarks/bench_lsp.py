"""Benchmark (not a test): ``ragtune server`` driven over stdio the way an editor does.

A workspace of 2,000 files (Python modules, some with LLM calls, prompt files, JSONL
datasets) and one 2,000-line Python file with several call sites.  The client starts
the server, opens the big file at once (the workspace scan runs meanwhile), then types
200 characters into a system prompt, one keystroke every 150 ms (about 80 words a
minute), and prints:

- p50 / p95 / max from a keystroke to the diagnostics of that version, less the
  server's debounce (a keystroke superseded before its diagnostics arrived is counted
  as dropped, not timed).  The server starts an analysis before the debounce ends and
  holds an early result until it does, so this is the part of the analysis (and of the
  server's own work) that did not fit inside the debounce;
- the time from starting the server process to the first diagnostics of the open file;
- the server's peak memory (the language server and its analysis processes, VmHWM summed);
- for reference, the engine alone: ``Engine.analyze_file`` on the buffer as it is typed,
  at the same pace, in this process; and, from the server's log, each analysis's time in
  the analysis process, how many results were ready before the debounce ended, and the
  time spent waiting in the analysis process.

Beside them, in the same run, the same client against a bare pygls server that only
parses the buffer with tree-sitter and counts its tokens (o200k) after the same debounce:
the floor (it starts its work when the debounce ends, so its figure is that work plus
the protocol, where the server's is what is left of its analysis after the debounce).

    python tests/benchmarks/bench_lsp.py [--edits 200] [--files 2000]
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEBOUNCE_MS = 120
KEYSTROKE_SECONDS = 0.150
WORD = 5  # keystrokes between pauses
PAUSE_SECONDS = 0.600


# -- the workspace ------------------------------------------------------------------
def _rules(n: int, seed: int) -> str:
    rnd = random.Random(seed)
    verbs = ["always answer", "never mention", "reply in JSON with", "keep to", "escalate when asked about"]
    return "\n".join(f"Rule {i}: {rnd.choice(verbs)} topic {rnd.randint(1, 999)} and keep the tone {rnd.choice(['formal', 'warm', 'brief'])}." for i in range(n))


def big_file(lines: int = 2000) -> tuple[str, int]:
    """A 2,000-line module with six call sites; returns (text, line to type on)."""
    parts = ["from openai import OpenAI", "import anthropic", "", "client = OpenAI()", "claude = anthropic.Anthropic()", ""]
    parts.append('SYSTEM = """You are the support assistant for Acme. Follow every rule below.')
    parts.extend(_rules(330, 1).splitlines())
    parts.append('"""')
    type_line = len(parts) - 2
    parts.append("")
    for k in range(5):
        parts.append(f'SHORT_{k} = """You are helper {k}. {_rules(8, 10 + k)}"""'.replace("\n", " "))
    parts.append("")
    for k in range(6):
        system = "SYSTEM" if k == 0 else f"SHORT_{k - 1}"
        parts += [
            f"def call_{k}(question):",
            "    return client.chat.completions.create(",
            f'        model="{"gpt-4o" if k % 2 == 0 else "gpt-4o-mini"}",',
            f'        messages=[{{"role": "system", "content": {system}}}, {{"role": "user", "content": question}}],',
            "    )",
            "",
        ]
    n = 0
    while len(parts) < lines:
        parts += [f"def helper_{n}(values):", f"    total = sum(v * {n % 7 + 1} for v in values)", f"    return total - {n}", ""]
        n += 1
    return "\n".join(parts[:lines]) + "\n", type_line


def make_workspace(root: Path, files: int) -> Path:
    (root / "pyproject.toml").write_text('[project]\nname = "bench"\n\n[tool.ragtune]\n', "utf-8")
    (root / "prompts").mkdir()
    (root / "data").mkdir()
    (root / "pkg").mkdir()
    text, _ = big_file()
    target = root / "pkg" / "assistant.py"
    target.write_text(text, "utf-8")
    made = 2
    i = 0
    while made < files:
        if i % 10 == 0:
            (root / "prompts" / f"prompt_{i}.md").write_text(f"# Prompt {i}\n\n{_rules(12, i)}\n", "utf-8")
        elif i % 25 == 1:
            rows = [json.dumps({"messages": [{"role": "user", "content": f"q{i}-{j}"}, {"role": "assistant", "content": f"a{j}"}]}) for j in range(20)]
            (root / "data" / f"train_{i}.jsonl").write_text("\n".join(rows) + "\n", "utf-8")
        elif i % 20 == 2:
            (root / "pkg" / f"mod_{i}.py").write_text(
                "from openai import OpenAI\nclient = OpenAI()\n\n"
                f'PROMPT = """You are bot {i}.\n{_rules(6, i)}\n"""\n\n\n'
                "def ask(q):\n    return client.chat.completions.create(model=\"gpt-4o\", messages=[{\"role\": \"system\", \"content\": PROMPT}, {\"role\": \"user\", \"content\": q}])\n",
                "utf-8",
            )
        else:
            (root / "pkg" / f"mod_{i}.py").write_text("\n".join(f"def f_{i}_{k}(x):\n    return x * {k} + {i}\n" for k in range(15)), "utf-8")
        made += 1
        i += 1
    return target


# -- a minimal editor-like LSP client over stdio ---------------------------------------------
class StdioClient:
    def __init__(self, argv: list[str], env: dict | None = None):
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        self.messages: queue.Queue = queue.Queue()
        self._id = 0
        self._pending: dict[int, queue.Queue] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        while True:
            length = None
            while True:
                line = stream.readline()
                if not line:
                    return
                line = line.strip()
                if not line:
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            body = json.loads(stream.read(length))
            now = time.perf_counter()
            if "id" in body and "method" in body:  # a request from the server: answer it
                result = [{}] * len(body["params"]["items"]) if body["method"] == "workspace/configuration" else None
                self._send({"jsonrpc": "2.0", "id": body["id"], "result": result})
            elif "id" in body and body["id"] in self._pending:
                self._pending.pop(body["id"]).put(body)
            else:
                self.messages.put((now, body))

    def _send(self, msg: dict) -> None:
        data = json.dumps(msg).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(data) + data)
        self.proc.stdin.flush()

    def notify(self, method: str, params) -> None:
        self._send({"jsonrpc": "2.0", "method": method, "params": params})

    def request(self, method: str, params, timeout: float = 60):
        self._id += 1
        box: queue.Queue = queue.Queue()
        self._pending[self._id] = box
        self._send({"jsonrpc": "2.0", "id": self._id, "method": method, "params": params})
        return box.get(timeout=timeout)

    def peak_memory_mb(self) -> float:
        """VmHWM of the server and its child processes, summed."""
        pids = [self.proc.pid]
        try:
            for task in os.listdir(f"/proc/{self.proc.pid}/task"):
                pids += [int(p) for p in Path(f"/proc/{self.proc.pid}/task/{task}/children").read_text().split()]
        except OSError:
            pass
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
            except OSError:
                pass
        return total / 1024

    def stop(self) -> None:
        try:
            self.request("shutdown", None, timeout=10)
            self.notify("exit", None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()


CAPABILITIES = {
    "general": {"positionEncodings": ["utf-16"]},
    "textDocument": {"synchronization": {"didSave": True}, "publishDiagnostics": {"relatedInformation": True, "versionSupport": True}},
    "workspace": {"configuration": True, "workspaceEdit": {"documentChanges": True}},
    "window": {"workDoneProgress": True},
}


def drive(argv: list[str], root: Path, target: Path, edits: int, type_line: int, label: str) -> dict:
    client = StdioClient(argv)
    uri = target.as_uri()
    client.request("initialize", {"processId": os.getpid(), "rootUri": root.as_uri(), "capabilities": CAPABILITIES, "initializationOptions": {"debounceMs": DEBOUNCE_MS}, "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}]})
    client.notify("initialized", {})
    text = target.read_text("utf-8")
    client.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}})
    first = None
    while first is None:
        now, msg = client.messages.get(timeout=120)
        if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri:
            first = now - client.started
            first_codes = sorted({d.get("code") for d in msg["params"]["diagnostics"]})
    # type into the big system prompt, one keystroke at a time
    sent: dict[int, float] = {}
    got: dict[int, float] = {}
    line_text = text.split("\n")[type_line]
    col = len(line_text)
    word = "and always confirm the order number before answering "
    for k in range(edits):
        version = k + 2
        ch = word[k % len(word)]
        client.notify("textDocument/didChange", {"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"range": {"start": {"line": type_line, "character": col}, "end": {"line": type_line, "character": col}}, "text": ch}]})
        sent[version] = time.perf_counter()
        col += 1
        deadline = sent[version] + (PAUSE_SECONDS if (k + 1) % WORD == 0 else KEYSTROKE_SECONDS)
        while (left := deadline - time.perf_counter()) > 0:
            try:
                now, msg = client.messages.get(timeout=left)
            except queue.Empty:
                break
            if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri and msg["params"].get("version") is not None:
                got.setdefault(msg["params"]["version"], now)
    last = edits + 1
    end = time.perf_counter() + 30
    while last not in got and time.perf_counter() < end:
        try:
            now, msg = client.messages.get(timeout=1)
        except queue.Empty:
            continue
        if msg.get("method") == "textDocument/publishDiagnostics" and msg["params"]["uri"] == uri and msg["params"].get("version") is not None:
            got.setdefault(msg["params"]["version"], now)
    by_version = {v: (got[v] - sent[v]) * 1000 - DEBOUNCE_MS for v in got if v in sent}
    memory = client.peak_memory_mb()
    client.stop()
    return {"label": label, "first": first, "first_codes": first_codes, "latencies": sorted(by_version.values()), "by_version": by_version, "dropped": edits - len(by_version), "memory": memory}


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    index = min(len(values) - 1, max(0, round(p / 100 * (len(values) - 1))))
    return values[index]


def report(r: dict) -> str:
    lat = r["latencies"]
    return (
        f"{r['label']:<16} after the {DEBOUNCE_MS} ms debounce: p50 {_pct(lat, 50):6.1f} ms · p95 {_pct(lat, 95):6.1f} ms · max {max(lat) if lat else float('nan'):6.1f} ms"
        f" ({len(lat)} timed, {r['dropped']} superseded) · first diagnostics {r['first']:.2f} s from process start · peak memory {r['memory']:.0f} MB"
    )


# -- the floor: a bare pygls server that parses and tokenizes --------------------------------
def floor_server() -> None:
    import asyncio

    import tree_sitter
    import tree_sitter_python
    from lsprotocol import types
    from pygls.lsp.server import LanguageServer

    from ragtune.analyzers.tokens import get_encoding

    server = LanguageServer("floor", "1")
    parser = tree_sitter.Parser(tree_sitter.Language(tree_sitter_python.language()))
    handles: dict[str, asyncio.TimerHandle] = {}
    state = {"debounce": DEBOUNCE_MS / 1000}

    def work(uri: str) -> None:
        doc = server.workspace.get_text_document(uri)
        parser.parse(doc.source.encode())
        get_encoding("o200k_base").encode_ordinary(doc.source)
        server.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, version=doc.version, diagnostics=[]))

    def schedule(uri: str, delay: float) -> None:
        if uri in handles:
            handles.pop(uri).cancel()
        handles[uri] = asyncio.get_running_loop().call_later(delay, work, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls, params: types.DidOpenTextDocumentParams):
        schedule(params.text_document.uri, 0)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls, params: types.DidChangeTextDocumentParams):
        schedule(params.text_document.uri, state["debounce"])

    server.start_io()


def engine_alone(root: Path, target: Path, type_line: int, runs: int = 20) -> list[float]:
    """``Engine.analyze_file`` of the buffer as the client types it (into the system
    prompt, one keystroke per 150 ms): the same work, at the same pace, as the server's."""
    from ragtune.analyzers.engine import Engine
    from ragtune.analyzers.workspace import Workspace

    engine = Engine(Workspace(root))
    lines = target.read_text("utf-8").split("\n")
    word = "and always confirm the order number before answering "
    times = []
    for i in range(runs + 1):
        lines[type_line] += word[i % len(word)]
        time.sleep(KEYSTROKE_SECONDS)
        started = time.perf_counter()
        engine.analyze_file(str(target), text="\n".join(lines))
        if i:  # the first run loads caches
            times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--edits", type=int, default=200)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--floor-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.floor_server:
        floor_server()
        return 0
    with tempfile.TemporaryDirectory(prefix="ragtune-bench-lsp-") as tmp:
        root = Path(tmp) / "ws"
        root.mkdir()
        target = make_workspace(root, args.files)
        _, type_line = big_file()
        n_lines = target.read_text("utf-8").count("\n")
        print(f"workspace: {args.files:,} files; open file: {target.relative_to(root)} ({n_lines:,} lines, 6 call sites); {args.edits} keystrokes, one per {KEYSTROKE_SECONDS * 1000:.0f} ms, a {PAUSE_SECONDS * 1000:.0f} ms pause every {WORD}")
        server_log = Path(tmp) / "server.log"
        ours = drive([sys.executable, "-m", "ragtune.server.cli", "server", "--log-file", str(server_log)], root, target, args.edits, type_line, "ragtune server")
        floor = drive([sys.executable, __file__, "--floor-server"], root, target, args.edits, type_line, "floor (pygls)")
        alone = engine_alone(root, target, type_line)
        print(report(ours))
        print(report(floor))
        print(f"{'engine alone':<16} analyze_file of the buffer as typed, one keystroke per {KEYSTROKE_SECONDS * 1000:.0f} ms: p50 {_pct(alone, 50):6.1f} ms · p95 {_pct(alone, 95):6.1f} ms · max {max(alone):6.1f} ms")
        analysed = {int(m.group(1)): (float(m.group(2)), float(m.group(3)), float(m.group(4))) for m in re.finditer(r"assistant\.py version (\d+): ([\d.]+) ms in the analysis process, ([\d.]+) ms round trip, held ([\d.]+) ms", server_log.read_text("utf-8"))}
        inside = sorted(a for a, _, _ in analysed.values())
        if inside:
            print(f"{'of which analysis':<16} in the analysis process (engine + hover facts), per analysed version: p50 {_pct(inside, 50):6.1f} ms · p95 {_pct(inside, 95):6.1f} ms · max {max(inside):6.1f} ms ({len(inside)} analyses)")
        # where the time of each timed keystroke went: the server starts an analysis before
        # its debounce ends and holds a result that is ready early until it does; waiting
        # in the analysis process is the round trip less the analysis (behind an older
        # version's analysis, the pipes)
        timed = [(lat, *analysed[v]) for v, lat in ours["by_version"].items() if v in analysed]
        if timed:
            waiting = sorted(r - a for _, a, r, _ in timed)
            ready = sum(1 for _, _, _, h in timed if h > 0)
            print(f"{'timed keystrokes':<16} ready before the debounce ended (held until it did): {ready} of {len(timed)}; waiting in the analysis process: p50 {_pct(waiting, 50):6.1f} ms · p95 {_pct(waiting, 95):6.1f} ms · max {max(waiting):6.1f} ms")
        scanned = re.search(r"Scanned ([\d,]+) files in ([\d.]+) s", server_log.read_text("utf-8"))
        if scanned:
            print(f"workspace scan: {scanned.group(1)} files in {scanned.group(2)} s, in the background")
        print(f"first diagnostics of the open file: {', '.join(c for c in ours['first_codes'] if c) or 'none'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
