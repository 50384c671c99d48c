// What the status-bar item says. No `vscode` import: unit-tested under plain node.

export type ServerState = 'idle' | 'starting' | 'running' | 'stopped' | 'not-installed' | 'failed';

export interface StatusView {
  text: string;
  tooltip: string;
  /** Errors get the status bar's error colour; a warning that ragtune needs attention. */
  level: 'normal' | 'warning' | 'error';
}

const STATE_ICON: Record<ServerState, string> = {
  idle: '$(circle-outline)',
  starting: '$(sync~spin)',
  running: '$(pulse)',
  stopped: '$(debug-stop)',
  'not-installed': '$(warning)',
  failed: '$(error)',
};

const STATE_WORDS: Record<ServerState, string> = {
  idle: 'waiting for a file ragtune reads',
  starting: 'starting',
  running: 'running',
  stopped: 'stopped',
  'not-installed': 'ragtune is not installed in the selected interpreter',
  failed: 'the server failed; see the output',
};

export function formatTokens(tokens: number): string {
  return `${Math.round(tokens).toLocaleString('en-US')} tokens/request`;
}

/** The item's text: the server state, and the active file's largest prompt when known. */
export function statusView(state: ServerState, largestPromptTokens: number | undefined, detail?: string): StatusView {
  const showTokens = state === 'running' && largestPromptTokens !== undefined;
  const text = showTokens ? `${STATE_ICON[state]} ragtune: ${formatTokens(largestPromptTokens)}` : `${STATE_ICON[state]} ragtune`;
  const lines = [`ragtune server: ${STATE_WORDS[state]}`];
  if (detail) {
    lines.push(detail);
  }
  if (showTokens) {
    lines.push(`Largest prompt in this file: ${formatTokens(largestPromptTokens)}`);
  }
  lines.push('Click to show the output.');
  const level = state === 'failed' ? 'error' : state === 'not-installed' ? 'warning' : 'normal';
  return { text, tooltip: lines.join('\n'), level };
}

/** A code lens as the server sends it (only the parts read here). */
export interface LensLike {
  command?: { title?: string; arguments?: unknown[] };
  data?: unknown;
}

const TOKENS_IN_TITLE = /([\d,.]+)\s*tokens\/request/;

function tokensField(value: unknown): number | undefined {
  if (typeof value === 'object' && value !== null && 'tokens' in value) {
    const tokens = (value as { tokens: unknown }).tokens;
    return typeof tokens === 'number' && Number.isFinite(tokens) ? tokens : undefined;
  }
  return undefined;
}

/**
 * Tokens per request of one call site's lens: a structured `tokens` figure when the
 * server attaches one (in `data` or the command's first argument), else the figure in
 * the title ("≈ 6,240 tokens/request · ...").
 */
export function lensTokens(lens: LensLike): number | undefined {
  const structured = tokensField(lens.data) ?? tokensField(lens.command?.arguments?.[0]);
  if (structured !== undefined) {
    return structured;
  }
  const match = TOKENS_IN_TITLE.exec(lens.command?.title ?? '');
  if (match === null) {
    return undefined;
  }
  const value = Number(match[1].replace(/,/g, ''));
  return Number.isFinite(value) ? value : undefined;
}

/** The largest prompt among a file's lenses; undefined when none states a size. */
export function largestPromptTokens(lenses: readonly LensLike[]): number | undefined {
  let largest: number | undefined;
  for (const lens of lenses) {
    const tokens = lensTokens(lens);
    if (tokens !== undefined && (largest === undefined || tokens > largest)) {
      largest = tokens;
    }
  }
  return largest;
}
