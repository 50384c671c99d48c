import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyProbe, expandPath, installCommand, quoteProgram, resolveLaunch, type LaunchInputs } from '../src/launch';

const base: LaunchInputs = { path: '', interpreter: '', home: '/home/ada', platform: 'linux', workspaceFolder: '/work/bot' };

test('with no setting and no Python extension: python3 on PATH, as a module', () => {
  assert.deepEqual(resolveLaunch(base), {
    command: 'python3',
    args: ['-P', '-m', 'ragtune.server.cli', 'server'],
    source: 'PATH',
    python: 'python3',
  });
});

test('on Windows the PATH fallback is python', () => {
  assert.equal(resolveLaunch({ ...base, platform: 'win32', workspaceFolder: 'C:\\bot' }).command, 'python');
});

test("the Python extension's interpreter is used when no setting chooses", () => {
  const plan = resolveLaunch({ ...base, pythonExtensionInterpreter: '/work/bot/.venv/bin/python' });
  assert.equal(plan.command, '/work/bot/.venv/bin/python');
  assert.equal(plan.source, 'Python extension');
  assert.equal(plan.python, '/work/bot/.venv/bin/python');
});

test('ragtune.interpreter wins over the Python extension', () => {
  const plan = resolveLaunch({ ...base, interpreter: '/opt/py/bin/python3.12', pythonExtensionInterpreter: '/usr/bin/python3' });
  assert.equal(plan.command, '/opt/py/bin/python3.12');
  assert.equal(plan.source, 'ragtune.interpreter');
});

test('ragtune.path wins over everything and runs the executable itself', () => {
  const plan = resolveLaunch({ ...base, path: '~/bin/ragtune', interpreter: '/usr/bin/python3', pythonExtensionInterpreter: '/x/python' });
  assert.deepEqual(plan, { command: '/home/ada/bin/ragtune', args: ['server'], source: 'ragtune.path' });
});

test('blank settings count as unset', () => {
  assert.equal(resolveLaunch({ ...base, path: '  ', interpreter: ' ', pythonExtensionInterpreter: '' }).source, 'PATH');
});

test('paths expand ${workspaceFolder}, ${userHome}, ~ and workspace-relative folders', () => {
  assert.equal(expandPath('${workspaceFolder}/.venv/bin/python', base), '/work/bot/.venv/bin/python');
  assert.equal(expandPath('${userHome}/py/bin/python', base), '/home/ada/py/bin/python');
  assert.equal(expandPath('~/py/bin/python', base), '/home/ada/py/bin/python');
  assert.equal(expandPath('.venv/bin/python', base), '/work/bot/.venv/bin/python');
  assert.equal(expandPath('python3.12', base), 'python3.12');
  assert.equal(expandPath('/usr/bin/python3', base), '/usr/bin/python3');
});

test('Windows paths: backslashes and drive letters', () => {
  const win: LaunchInputs = { ...base, platform: 'win32', home: 'C:\\Users\\ada', workspaceFolder: 'C:\\bot' };
  assert.equal(expandPath('.venv\\Scripts\\python.exe', win), 'C:\\bot\\.venv\\Scripts\\python.exe');
  assert.equal(expandPath('D:\\py\\python.exe', win), 'D:\\py\\python.exe');
  assert.equal(expandPath('~\\py\\python.exe', win), 'C:\\Users\\ada\\py\\python.exe');
});

test('probe: a missing interpreter, a missing package, a working install, a broken one', () => {
  assert.deepEqual(classifyProbe({ code: 'ENOENT' }, '', ''), { kind: 'no-program' });
  assert.deepEqual(
    classifyProbe({ code: 1 }, '', "/usr/bin/python3: Error while finding module specification for 'ragtune.server.cli' (ModuleNotFoundError: No module named 'ragtune')\n"),
    { kind: 'not-installed' },
  );
  assert.deepEqual(classifyProbe(null, 'ragtune 0.1.0\n', ''), { kind: 'ok', version: '0.1.0' });
  const broken = classifyProbe({ code: 1 }, '', 'Traceback (most recent call last):\n  ...\nImportError: cannot import name x\n');
  assert.equal(broken.kind, 'failed');
  assert.match((broken as { detail: string }).detail, /ImportError/);
  assert.deepEqual(classifyProbe({ code: 2 }, '', ''), { kind: 'failed', detail: 'exited with 2' });
  const old = classifyProbe({ code: 2 }, '', 'Unknown option: -P\nusage: /usr/bin/python3.10 [option] ... [-c cmd | -m mod | file | -] [arg] ...\n');
  assert.equal(old.kind, 'failed');
  assert.match((old as { detail: string }).detail, /older than 3\.11/);
});

test('the install command names the exact interpreter, quoted for the terminal', () => {
  assert.equal(installCommand('/work/bot/.venv/bin/python', 'linux'), '/work/bot/.venv/bin/python -m pip install ragtune');
  assert.equal(installCommand('python3', 'darwin'), 'python3 -m pip install ragtune');
  assert.equal(installCommand('/Users/ada/My Envs/py/bin/python', 'darwin'), "'/Users/ada/My Envs/py/bin/python' -m pip install ragtune");
  assert.equal(quoteProgram("/tmp/it's/python", 'linux'), "'/tmp/it'\\''s/python'");
  assert.equal(installCommand('C:\\Program Files\\Python312\\python.exe', 'win32'), '& "C:\\Program Files\\Python312\\python.exe" -m pip install ragtune');
  assert.equal(installCommand('C:\\py\\python.exe', 'win32'), 'C:\\py\\python.exe -m pip install ragtune');
});
