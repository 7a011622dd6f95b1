/**
 * Making recorded text (prompts, commit subjects, ids) safe to show and to post. Intents are user
 * prompts: they may hold secrets, markup that would restyle a PR comment, or @mentions that would
 * ping people. Every renderer passes them through here; the order matters: control characters go
 * first, secrets are redacted on the full text (before any cut could leave half a key behind), then
 * the text is flattened, capped, and escaped for its destination.
 */

/** The default cap on a quoted intent, in characters (code points). */
export const INTENT_MAX = 280;

export const REDACTED = '[REDACTED]';

interface SecretRule {
  name: string;
  re: RegExp;
  /** Replacement: the whole match by default; a function keeps the non-secret part. */
  replace?: (match: string, ...groups: string[]) => string;
}

/**
 * Common secret shapes. Each is anchored on a distinctive prefix or context, so prose is left alone;
 * where a rule is unsure (a `password=` assignment, a bearer value) it prefers to redact.
 */
export const SECRET_RULES: readonly SecretRule[] = [
  { name: 'private-key', re: /-----BEGIN[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----[\s\S]*?(?:-----END[ A-Z0-9]*PRIVATE KEY( BLOCK)?-----|$)/g },
  { name: 'url-password', re: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s:@/]+):([^\s@/]+)@/gi, replace: (_m, scheme, user) => `${scheme}${user}:${REDACTED}@` },
  { name: 'jwt', re: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g },
  { name: 'openai-key', re: /\bsk-[A-Za-z0-9_-]{16,}/g },
  { name: 'stripe-key', re: /\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{10,}/g },
  { name: 'github-token', re: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g },
  { name: 'gitlab-token', re: /\bglpat-[A-Za-z0-9_-]{20,}/g },
  { name: 'aws-access-key', re: /\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b/g },
  { name: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g },
  { name: 'slack-webhook', re: /https:\/\/hooks\.slack\.com\/services\/[A-Za-z0-9/_-]+/g },
  { name: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}/g },
  { name: 'huggingface-token', re: /\bhf_[A-Za-z0-9]{30,}/g },
  { name: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g },
  {
    name: 'bearer',
    re: /\b(Bearer|Basic)(\s+)(?=[A-Za-z0-9._~+/=-]*\d)[A-Za-z0-9._~+/=-]{8,}/gi,
    replace: (_m, scheme, space) => `${scheme}${space}${REDACTED}`,
  },
  {
    name: 'assignment',
    re: /\b(password|passwd|pwd|passphrase|secret|client[_-]?secret|secret[_-]?access[_-]?key|api[_-]?key|access[_-]?token|auth[_-]?token|token)(\s*[:=]\s*)(["']?)([^\s"']{3,})\3/gi,
    replace: (_m, key, sep, q) => `${key}${sep}${q}${REDACTED}${q}`,
  },
];

/** Replaces every secret `SECRET_RULES` recognises with `[REDACTED]`. */
export function redactSecrets(text: string): string {
  let out = text;
  for (const rule of SECRET_RULES) {
    out = out.replace(rule.re, (m: string, ...rest: unknown[]) => (rule.replace ? rule.replace(m, ...(rest.filter((x) => typeof x === 'string' || x === undefined) as string[])) : REDACTED));
  }
  return out;
}

/**
 * Removes terminal escape sequences, control characters (tabs and newlines kept) and the Unicode
 * bidirectional overrides that can make text read differently from what it is.
 */
export function stripControl(text: string): string {
  return text
    .replace(/\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?/g, '')
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, '');
}

/** All white space runs (newlines included) to one space, trimmed. */
export function flatten(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Cuts to `max` characters (code points, so no half surrogate pair), ending in `…` when cut. */
export function capLength(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  if (max <= 1) return '…'.slice(0, max);
  return `${chars.slice(0, max - 1).join('').trimEnd()}…`;
}

/** Plain text for a terminal or a text file: no controls, secrets redacted, one line, capped. */
export function safeText(text: string, max = INTENT_MAX): string {
  return capLength(flatten(redactSecrets(stripControl(text))), max);
}

/** Neutralises @mentions and #references so a posted card pings no one and links no issue. */
function neutraliseReferences(escaped: string): string {
  // One pass (the inserted entities are not rescanned); `&#` starts an entity of the escaping itself.
  return escaped.replace(/@(?=[A-Za-z0-9_-])|(?<!&)#(?=\d)/g, (m) => `${m}&#8203;`);
}

/** Escapes for HTML text (and for HTML blocks in Markdown, where Markdown is not interpreted). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/**
 * Escapes text for inline Markdown (GitHub-flavoured): every character that could start emphasis,
 * code, links, headings, tables or strikethrough backslash-escaped, and `&`, `<`, `>` as entities.
 */
export function escapeMarkdown(text: string): string {
  // Markup first, then the three characters HTML needs (quotes need no escaping outside attributes,
  // and their numeric entities would hold a `#` to escape again).
  return text
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** Recorded text as one safe line of inline Markdown: cleaned, redacted, flattened, capped, escaped. */
export function safeMarkdown(text: string, max = INTENT_MAX): string {
  return neutraliseReferences(escapeMarkdown(safeText(text, max)));
}

/** Recorded text as one safe line inside an HTML block (`<summary>`, table cells of HTML). */
export function safeHtml(text: string, max = INTENT_MAX): string {
  return neutraliseReferences(escapeHtml(safeText(text, max)));
}

/** An identifier (trace, step, path) as a Markdown code span: no backticks, pipes escaped for tables. */
export function mdCode(text: string, max = 120): string {
  const clean = capLength(flatten(stripControl(text)).replace(/`/g, "'"), max).replace(/\|/g, '\\|');
  return `\`${clean}\``;
}
