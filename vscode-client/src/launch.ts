// Which program runs `ragtune server`, whether ragtune is installed there, and the
// exact command that installs it. No `vscode` import: unit-tested under plain node.

import { execFile } from 'node:child_process';
import * as path from 'node:path';

export interface LaunchInputs {
  /** `ragtune.path`: a ragtune executable. */
  path: string;
  /** `ragtune.interpreter`: a Python interpreter with ragtune installed. */
  interpreter: string;
  /** The Python extension's selected interpreter, when that extension is installed. */
  pythonExtensionInterpreter?: string;
  workspaceFolder?: string;
  home: string;
  platform: NodeJS.Platform;
}

export type LaunchSource = 'ragtune.path' | 'ragtune.interpreter' | 'Python extension' | 'PATH';

export interface LaunchPlan {
  command: string;
  /** Arguments before `--stdio`, which the language client appends itself. */
  args: string[];
  source: LaunchSource;
  /** The interpreter, when the server runs as a Python module (so pip can target it). */
  python?: string;
}

/**
 * The module form works for any interpreter, even one whose scripts folder is not on PATH.
 * `-P` (Python 3.11+, which ragtune needs) keeps the working folder, the workspace, off
 * `sys.path`: without it a workspace `json.py` would be imported, and run, by the server.
 */
const MODULE_ARGS = ['-P', '-m', 'ragtune.server.cli'];
const SERVER_MODULE_ARGS = [...MODULE_ARGS, 'server'];

/**
 * Expands `${workspaceFolder}`, `${userHome}` and a leading `~`; a relative path with a
 * folder in it (`.venv/bin/python`) is taken from the workspace folder. A bare name
 * (`python3`) is left for PATH lookup.
 */
export function expandPath(value: string, inputs: Pick<LaunchInputs, 'workspaceFolder' | 'home' | 'platform'>): string {
  const pathApi = inputs.platform === 'win32' ? path.win32 : path.posix;
  let expanded = value.trim().replace(/\$\{userHome\}/g, inputs.home);
  if (inputs.workspaceFolder !== undefined) {
    expanded = expanded.replace(/\$\{workspaceFolder\}/g, inputs.workspaceFolder);
  }
  if (expanded === '~' || expanded.startsWith('~/') || expanded.startsWith('~\\')) {
    expanded = inputs.home + expanded.slice(1);
  }
  const hasFolder = expanded.includes('/') || (inputs.platform === 'win32' && expanded.includes('\\'));
  if (hasFolder && !pathApi.isAbsolute(expanded) && inputs.workspaceFolder !== undefined) {
    expanded = pathApi.join(inputs.workspaceFolder, expanded);
  }
  return expanded;
}

/** Settings first, then the Python extension's interpreter, then python on PATH. */
export function resolveLaunch(inputs: LaunchInputs): LaunchPlan {
  if (inputs.path.trim() !== '') {
    return { command: expandPath(inputs.path, inputs), args: ['server'], source: 'ragtune.path' };
  }
  const candidates: [string | undefined, LaunchSource][] = [
    [inputs.interpreter, 'ragtune.interpreter'],
    [inputs.pythonExtensionInterpreter, 'Python extension'],
  ];
  for (const [interpreter, source] of candidates) {
    if (interpreter !== undefined && interpreter.trim() !== '') {
      const python = expandPath(interpreter, inputs);
      return { command: python, args: [...SERVER_MODULE_ARGS], source, python };
    }
  }
  // Windows installs `python` (and the `py` launcher), not `python3`.
  const python = inputs.platform === 'win32' ? 'python' : 'python3';
  return { command: python, args: [...SERVER_MODULE_ARGS], source: 'PATH', python };
}

export type ProbeResult =
  | { kind: 'ok'; version: string }
  | { kind: 'no-program' }
  | { kind: 'not-installed' }
  | { kind: 'failed'; detail: string };

/** What `<program> --version` (or `<python> -P -m ragtune.server.cli --version`) said. */
export function classifyProbe(error: { code?: unknown } | null, stdout: string, stderr: string): ProbeResult {
  if (error !== null && error.code === 'ENOENT') {
    return { kind: 'no-program' };
  }
  if (/No module named '?ragtune\b/.test(stderr)) {
    return { kind: 'not-installed' };
  }
  if (/Unknown option:? -P/.test(stderr)) {
    return { kind: 'failed', detail: 'this Python is older than 3.11, which ragtune needs (it has no -P option)' };
  }
  const version = /ragtune (\S+)/.exec(stdout);
  if (error === null && version !== null) {
    return { kind: 'ok', version: version[1] };
  }
  const detail = (stderr.trim() || stdout.trim()).split('\n').slice(-3).join('\n');
  return { kind: 'failed', detail: detail || `exited with ${String(error?.code ?? 'no output')}` };
}

/** Asks the planned program for ragtune's version, without starting the server. */
export function probe(plan: LaunchPlan, cwd: string | undefined): Promise<ProbeResult> {
  const args = plan.python !== undefined ? [...MODULE_ARGS, '--version'] : ['--version'];
  return new Promise((resolve) => {
    execFile(plan.command, args, { cwd, timeout: 30_000, windowsHide: true }, (error, stdout, stderr) => {
      resolve(classifyProbe(error as { code?: unknown } | null, String(stdout), String(stderr)));
    });
  });
}

/** Quotes a program path for the terminal the user's platform opens by default. */
export function quoteProgram(program: string, platform: NodeJS.Platform): string {
  if (platform === 'win32') {
    // PowerShell runs a quoted path only behind the call operator.
    return /[\s'"&()]/.test(program) ? `& "${program}"` : program;
  }
  return /^[\w@%+=:,./-]+$/.test(program) ? program : `'${program.replace(/'/g, `'\\''`)}'`;
}

/** The exact command that installs ragtune into the interpreter the server would use. */
export function installCommand(python: string, platform: NodeJS.Platform): string {
  return `${quoteProgram(python, platform)} -m pip install ragtune`;
}
