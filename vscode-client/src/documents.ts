// Which documents ragtune reads, and whether a workspace asks for ragtune.
// No `vscode` import: unit-tested under plain node.

/** Languages whose documents go to the server (ids VS Code knows, plus the ones this extension contributes). */
export const LANGUAGES = [
  'python',
  'javascript',
  'javascriptreact',
  'typescript',
  'typescriptreact',
  'dotprompt',
  'prompty',
  'jsonl',
] as const;

/** Prompt files that have no language of their own in VS Code (they open as Markdown, YAML, Jinja or plain text). */
export const PROMPT_FILE_PATTERNS = [
  '**/*.prompt.md',
  '**/*.prompt.yml',
  '**/*.prompt.yaml',
  '**/*.{j2,jinja,jinja2}',
  '**/prompts/**/*.{txt,md,yaml,yml,json}',
] as const;

export type DocumentFilterLike = { scheme: string; language: string } | { scheme: string; pattern: string };

export function documentSelector(): DocumentFilterLike[] {
  return [
    // Unsaved buffers too: a prompt pasted into a new file is worth a look before saving.
    ...LANGUAGES.flatMap((language) => [
      { scheme: 'file', language },
      { scheme: 'untitled', language },
    ]),
    ...PROMPT_FILE_PATTERNS.map((pattern) => ({ scheme: 'file', pattern })),
  ];
}

/** Config files whose presence starts the server even before a matching file is opened. */
export const CONFIG_FILE_GLOB = '**/{ragtune.toml,pyproject.toml}';

/** A `ragtune.toml` always counts; a `pyproject.toml` only with a `[tool.ragtune]` table. */
export function configAsksForRagtune(fileName: string, text: string): boolean {
  if (/(^|[\\/])ragtune\.toml$/.test(fileName)) {
    return true;
  }
  return /^\s*\[\s*tool\.ragtune\s*[\].]/m.test(text);
}
