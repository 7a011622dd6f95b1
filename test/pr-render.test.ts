import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { HUMAN, Scenario } from '../fixtures/scenario.js';
import { loadPrCard } from '../src/views/load.js';
import { renderPrMarkdown, PR_CARD_MARKER } from '../src/render/pr-markdown.js';
import { renderPrText } from '../src/render/pr-text.js';
import { prCardJson } from '../src/render/view-json.js';
import { INTENT_MAX } from '../src/render/sanitize.js';
import { PrCardView } from '../src/model/views.js';

// Hostile intents: a heading, a mention, an API key, HTML, and 10,000 characters.
const KEY = ['sk', 'live', 'Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2'].join('-');
const HOSTILE = `# Deploy everything now\n@octocat please review, key ${KEY} <img src=x onerror=alert(1)> ${'A'.repeat(10_000)}`;
const HOSTILE_SUBJECT = '## @admin <b>merge</b> me';

describe('PR card with hostile intents, end to end', () => {
  let s: Scenario;
  beforeAll(async () => {
    s = new Scenario({ hooks: 'direct' });
    s.write('a.txt', 'a\n');
    await s.commit('base', HUMAN);
    s.checkout('topic', true);
    await s.turn('t-hostile', HOSTILE);
    await s.agentStep({ trace: 't-hostile', step: 'w' }, () => s.write('a.txt', 'a\nb\n'));
    await s.commit(HOSTILE_SUBJECT);
    await s.turn('t-hostile', 'Second, @team/reviewers: use password=hunter22 and https://bot:tok3n@example.com');
    await s.agentStep({ trace: 't-hostile', step: 'w2' }, () => s.write('b.txt', 'b\n'));
    await s.commit('second');
  });
  afterAll(() => s.cleanup());

  it('neutralises headings and mentions, escapes HTML, redacts secrets and caps length in Markdown', async () => {
    const r = s.ot('trail', 'blame', 'pr', 'render', '--format', 'markdown', '-o', 'card.md', '--color', 'always');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const md = fs.readFileSync(s.path('card.md'), 'utf8');
    expect(md.startsWith(`${PR_CARD_MARKER}\n### `)).toBe(true);
    // The only heading is the card's own title line; the intent's heading is escaped in it.
    expect(md.split('\n').filter((l) => /^\s{0,3}#/.test(l))).toEqual(['### \\# Deploy everything now']);
    expect(md).not.toMatch(/@(octocat|admin|team)/);
    expect(md).toContain('@&#8203;octocat');
    expect(md).not.toContain(KEY);
    expect(md).not.toContain('hunter22');
    expect(md).not.toContain('tok3n');
    expect(md).not.toMatch(/<img|<b>merge/);
    expect(md).toContain('&lt;b&gt;merge&lt;/b&gt;');
    // 10,000 characters are cut to the cap, with an ellipsis.
    const quoted = md.split('\n').filter((l) => l.startsWith('> “'));
    expect(quoted.length).toBeGreaterThan(0);
    for (const q of quoted) expect(Array.from(q).length).toBeLessThanOrEqual(INTENT_MAX * 2 + 10);
    expect(md).toContain('…”');
    expect(md.length).toBeLessThan(6_000);
    expect(md).not.toContain('\x1b');
  });

  it('redacts in JSON and text too, and renders the same bytes twice', async () => {
    const j = s.ot('trail', 'blame', 'pr', 'render', '--json');
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout);
    expect(doc.schema).toBe('ot.trail.blame-pr/1');
    expect(j.stdout).not.toContain(KEY);
    expect(doc.commits[0].intent.length).toBeGreaterThan(10_000 - 100);
    const t = s.ot('trail', 'blame', 'pr', 'render', '--format', 'text', '--color', 'always', '-o', 'card.txt');
    expect(t.code, t.stderr).toBe(0);
    const text = fs.readFileSync(s.path('card.txt'), 'utf8');
    expect(text).not.toContain('\x1b');
    expect(text).not.toContain(KEY);
    const again = s.ot('trail', 'blame', 'pr', 'render', '--format', 'markdown');
    const once = s.ot('trail', 'blame', 'pr', 'render', '--format', 'markdown');
    expect(again.stdout).toBe(once.stdout);
    expect(again.stdout).toBe(fs.readFileSync(s.path('card.md'), 'utf8'));
  });

  it('renders every part of the card from the view', async () => {
    const { card } = await loadPrCard(await s.repo(), {});
    expect(() => PrCardView.parse(card)).not.toThrow();
    const md = renderPrMarkdown(card);
    expect(md.match(/<details>/g)?.length).toBe(2);
    expect(md).toContain('**2 / 2** commits traced to intent');
    expect(md).toContain('**2 hunks** · 2 alive at head');
    expect(md).toContain('```mermaid\npie showData title Code scope by survival state (2 hunks)\n    "alive_on_path" : 2\n```');
    expect(md).toContain('<b>01 / 02</b> ## @&#8203;admin &lt;b&gt;merge');
    expect(md).toContain('1/1 alive_on_path');
    const text = renderPrText(card, { color: false });
    expect(text).toContain('2 / 2 commits traced to intent');
    expect(text).not.toContain('\x1b');
    expect(renderPrText(card, { color: true })).toContain('\x1b[');
    const json = prCardJson(card) as { schema: string; commits: { intent: string }[] };
    expect(json.commits[1]!.intent).toBe('Second, @team/reviewers: use password=[REDACTED] and https://bot:[REDACTED]@example.com');
  });
});
