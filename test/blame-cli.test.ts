import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { buildPrRepo, INTENT_CLI, INTENT_COMMENTS, INTENT_PARSER, type PrRepo } from '../fixtures/scenarios/pr.js';
import { BlameCommitView, BlameFileView, PrCardView } from '../src/model/views.js';
import { loadPrCard } from '../src/views/load.js';

/**
 * The blame commands through the real `ot` binary and the real survival engine, on the PR scenario
 * of fixtures/scenarios/pr.ts (its known answer is written there).
 */
let pr: PrRepo;
beforeAll(async () => {
  pr = await buildPrRepo();
  pr.scenario.git('tag', 'v-parser', pr.commits.parser);
});
afterAll(() => pr.scenario.cleanup());

const json = (args: string[]) => {
  const r = pr.scenario.ot(...args, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Record<string, unknown>;
};

describe('ot trail blame commit', () => {
  it('accepts full and short ids, HEAD~N and tags, and judges survival at HEAD', () => {
    const byTag = json(['trail', 'blame', 'commit', 'v-parser']);
    expect(byTag.schema).toBe('ot.trail.blame-commit/1');
    const v = BlameCommitView.parse(byTag);
    expect(v.commit).toBe(pr.commits.parser);
    expect(v.survivalAt).toBe(pr.commits.revertCli);
    expect(v.coverage).toEqual({ tracedLines: 6, totalLines: 6 });
    expect(v.hunks.map((h) => [h.path, h.stepId, h.intent, h.survival?.state, h.survival?.totalLines])).toEqual([
      ['src/index.ts', 'export', INTENT_PARSER, 'alive_on_path', 1],
      ['src/parse.ts', 'write-parser', INTENT_PARSER, 'repaired', 5],
    ]);
    for (const rev of [pr.commits.parser, pr.commits.parser.slice(0, 7), 'HEAD~4', 'feature~4']) {
      expect(json(['trail', 'blame', 'commit', rev])).toEqual(byTag);
    }
    const cli = BlameCommitView.parse(json(['trail', 'blame', 'commit', 'HEAD~1']));
    expect(cli.hunks.map((h) => [h.traceId, h.stepId, h.agent, h.intent, h.survival?.state])).toEqual([['t-codex', 'cli', 'codex', INTENT_CLI, 'reverted']]);
    const comments = BlameCommitView.parse(json(['trail', 'blame', 'commit', 'HEAD~3']));
    expect(comments.hunks.map((h) => [h.stepId, h.intent, h.survival?.state])).toEqual([['comments', INTENT_COMMENTS, 'alive_on_path']]);
  });

  it('prints text without colour when piped, and exits 2 naming an unknown revision', () => {
    const r = pr.scenario.ot('trail', 'blame', 'commit', 'HEAD~2');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('coverage 0/3 added lines traced (0%)');
    expect(r.stdout).toContain('unattributed: no recorded step wrote these lines');
    expect(r.stdout).not.toContain('\x1b');
    const colored = pr.scenario.ot('trail', 'blame', 'commit', 'HEAD~4', '--color', 'always');
    expect(colored.stdout).toContain('\x1b[');
    const bad = pr.scenario.ot('trail', 'blame', 'commit', 'no-such-rev');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown revision 'no-such-rev'");
    const missing = pr.scenario.ot('trail', 'blame', 'commit');
    expect(missing.code).toBe(2);
  });
});

describe('ot trail blame file', () => {
  it('names the step and anchor commit of every line, and nothing for lines no step wrote', () => {
    const v = BlameFileView.parse(json(['trail', 'blame', 'file', 'src/parse.ts']));
    expect(v.at).toBe(pr.commits.revertCli);
    expect(v.totalLines).toBe(6);
    expect(v.tracedLines).toBe(6);
    expect(v.lines.map((l) => [l.line, l.stepId, l.anchorCommit, l.edited])).toEqual([
      [1, 'write-parser', pr.commits.parser, false],
      [2, 'comments', pr.commits.comments, false],
      [3, 'write-parser', pr.commits.parser, false],
      [4, 'write-parser', pr.commits.parser, true],
      [5, 'write-parser', pr.commits.parser, false],
      [6, 'write-parser', pr.commits.parser, false],
    ]);
    expect(v.steps.map((s) => [s.stepId, s.index, s.intent])).toEqual([
      ['write-parser', 1, INTENT_PARSER],
      ['comments', 3, INTENT_COMMENTS],
    ]);
    const readme = BlameFileView.parse(json(['trail', 'blame', 'file', 'README.md']));
    expect(readme.lines.map((l) => l.traceId)).toEqual([null, null, null]);
    expect(readme.tracedLines).toBe(0);
  });

  it('takes a line range, a revision, and a path relative to -C', () => {
    const v = BlameFileView.parse(json(['trail', 'blame', 'file', 'src/parse.ts:2-3']));
    expect(v.range).toEqual({ start: 2, end: 3 });
    expect(v.lines.map((l) => [l.line, l.stepId])).toEqual([[2, 'comments'], [3, 'write-parser']]);
    const one = BlameFileView.parse(json(['trail', 'blame', 'file', 'src/parse.ts:4']));
    expect(one.lines.map((l) => [l.line, l.edited])).toEqual([[4, true]]);
    // At the parser commit the file is as the step wrote it: five lines, none edited yet.
    const then = BlameFileView.parse(json(['trail', 'blame', 'file', 'src/parse.ts', '--at', 'v-parser']));
    expect(then.lines.map((l) => [l.stepId, l.edited])).toEqual(Array.from({ length: 5 }, () => ['write-parser', false]));
    // The reverted file is there only in the commit that added it.
    const cli = BlameFileView.parse(json(['trail', 'blame', 'file', 'src/cli.ts', '--at', 'HEAD~1']));
    expect(cli.tracedLines).toBe(4);
    const sub = pr.scenario.ot('-C', 'src', 'trail', 'blame', 'file', 'parse.ts:1', '--json');
    expect(sub.code, sub.stderr).toBe(0);
    expect(JSON.parse(sub.stdout).path).toBe('src/parse.ts');
    const text = pr.scenario.ot('trail', 'blame', 'file', 'src/parse.ts');
    expect(text.stdout).toMatch(/t-claude write-parser [0-9a-f]{7}\* 4\)   if \(at < 0\)/);
  });

  it('exits 2 for a path not in the revision and for a range past the end', () => {
    for (const [args, msg] of [
      [['src/cli.ts'], "'src/cli.ts' is not in"],
      [['nope.txt'], "'nope.txt' is not in"],
      [['src'], 'is a directory'],
      [['src/parse.ts:5-9'], 'has only 6 lines'],
      [['src/parse.ts:3-2'], 'bad line range'],
      [['../outside.txt'], 'outside the repository'],
    ] as const) {
      const r = pr.scenario.ot('trail', 'blame', 'file', ...args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(msg);
    }
    expect(pr.scenario.ot('trail', 'blame', 'file', 'src/parse.ts', '--at', 'nope').code).toBe(2);
  });
});

describe('ot trail blame pr render (real engine)', () => {
  it('gives the known card of the branch', async () => {
    const { card } = await loadPrCard(await pr.scenario.repo(), {});
    expect(card.alignment).toEqual({ aligned: 3, total: 5 });
    expect(card.scope).toMatchObject({ hunks: 7, tracedHunks: 4, untracedHunks: 3, aliveHunks: 3 });
    expect(card.commits.map((c) => [c.shortSha, c.aligned, c.survival.alive, c.survival.patches, c.steps, c.turns])).toEqual([
      [pr.commits.parser.slice(0, 7), true, 2, 2, 3, 1],
      [pr.commits.comments.slice(0, 7), true, 1, 1, 1, 1],
      [pr.commits.humanTweak.slice(0, 7), false, 0, 0, 0, 0],
      [pr.commits.cli.slice(0, 7), true, 0, 1, 2, 1],
      [pr.commits.revertCli.slice(0, 7), false, 0, 0, 0, 0],
    ]);
    expect(card.commits.map((c) => Object.entries(c.survival.byState).filter(([, n]) => n > 0))).toEqual([
      [['alive_on_path', 1], ['repaired', 1]],
      [['alive_on_path', 1]],
      [],
      [['reverted', 1]],
      [],
    ]);
  });

  it('exits 2 on bad input and writes files without colour', () => {
    const s = pr.scenario;
    expect(s.ot('trail', 'blame', 'pr', 'render', '--base', 'nope').code).toBe(2);
    expect(s.ot('trail', 'blame', 'pr', 'render', '--format', 'html').code).toBe(2);
    expect(s.ot('trail', 'blame', 'pr', 'render', '--json', '--format', 'text').code).toBe(2);
    const r = s.ot('trail', 'blame', 'pr', 'render', '--head', 'feature~1', '--format', 'json', '-o', 'card.json');
    expect(r.code, r.stderr).toBe(0);
    const card = PrCardView.parse(JSON.parse(fs.readFileSync(s.path('card.json'), 'utf8')));
    expect(card.commits.length).toBe(4);
    expect(card.alignment).toEqual({ aligned: 3, total: 4 });
    // Under CI with --tui: no interface, the card is printed.
    const ci = s.otWith({ env: { CI: 'true' } }, 'trail', 'blame', 'pr', 'render', '--tui', '--format', 'text');
    expect(ci.code).toBe(0);
    expect(ci.stdout).toContain('3 / 5 commits traced to intent');
    expect(ci.stdout).not.toContain('\x1b');
  });
});

describe('after a rebase no hook saw', () => {
  it('finds the rewritten commits of the branch from their content', async () => {
    const s = pr.scenario;
    s.checkout('main');
    s.write('NOTES.md', 'main moved on\n');
    s.git('add', '-A');
    s.git('commit', '-q', '-m', 'main moves on');
    s.checkout('feature');
    s.git('rebase', '-q', 'main');
    const { card } = await loadPrCard(await s.repo(), {});
    const newShas = s.git('rev-list', '--reverse', 'main..feature').trim().split('\n');
    expect(card.commits.map((c) => c.sha)).toEqual(newShas);
    expect(newShas).not.toContain(pr.commits.parser);
    expect(card.alignment).toEqual({ aligned: 3, total: 5 });
    expect(card.commits.map((c) => [c.aligned, c.survival.alive, c.survival.patches])).toEqual([
      [true, 2, 2],
      [true, 1, 1],
      [false, 0, 0],
      [true, 0, 1],
      [false, 0, 0],
    ]);
  });
});
