import { describe, expect, it } from 'vitest';
import { capLength, escapeHtml, INTENT_MAX, mdCode, redactSecrets, safeHtml, safeMarkdown, safeText, stripControl } from '../src/render/sanitize.js';

// Secret-shaped fixtures, assembled at run time so no scanner mistakes this file for a leak.
const OPENAI = ['sk', 'proj', 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4'].join('-');
const GITHUB = `ghp_${'a1B2c3D4e5F6g7H8i9J0'.repeat(2)}`;
const GITHUB_PAT = `github_pat_${'11ABCDEFG0123456789_abcdefghij'}`;
const AWS = `AKIA${'IOSFODNN7EXAMPLE'}`;
const SLACK = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');
const JWT = `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.${'dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'}`;
const KEY_BLOCK = ['-----BEGIN OPENSSH PRIVATE KEY-----', 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ', '-----END OPENSSH PRIVATE KEY-----'].join('\n');

describe('redactSecrets', () => {
  it.each([
    ['an OpenAI key', `use ${OPENAI} for the call`, OPENAI],
    ['a GitHub token', `export GH=${GITHUB}`, GITHUB],
    ['a GitHub fine-grained token', `token ${GITHUB_PAT} here`, GITHUB_PAT],
    ['an AWS access key id', `aws key ${AWS} please`, AWS],
    ['a Slack token', `slack ${SLACK}`, SLACK],
    ['a JWT', `cookie ${JWT}`, JWT],
    ['a bearer token', 'curl -H "Authorization: Bearer abc123def456ghi789"', 'abc123def456ghi789'],
    ['a password in a URL', 'clone https://deploy:s3cr3t-Pa55@git.example.com/repo.git', 's3cr3t-Pa55'],
    ['a password assignment', 'set password=hunter22 in the env', 'hunter22'],
    ['an api_key assignment', "api_key: 'zq81hd7as'", 'zq81hd7as'],
    ['a private key block', `here is my key\n${KEY_BLOCK}\nthanks`, 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ'],
  ])('redacts %s', (_name, text, secret) => {
    const out = redactSecrets(text);
    expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
  });

  it('keeps the non-secret part of what it redacts, and leaves prose alone', () => {
    expect(redactSecrets('clone https://deploy:s3cr3t@git.example.com/x')).toBe('clone https://deploy:[REDACTED]@git.example.com/x');
    expect(redactSecrets('Authorization: Bearer abc123def456')).toBe('Authorization: Bearer [REDACTED]');
    expect(redactSecrets('an unterminated\n-----BEGIN RSA PRIVATE KEY-----\nMIIEow')).toBe('an unterminated\n[REDACTED]');
    const prose = 'Add bearer authentication to the task API; skip tokens that expire, see https://example.com/docs';
    expect(redactSecrets(prose)).toBe(prose);
  });
});

describe('safe quoting', () => {
  it('strips terminal escapes, control characters and bidi overrides', () => {
    expect(stripControl('a\x1b[31mred\x1b[0m b\x1b]8;;http://x\x07link\x1b]8;;\x07 c\u202Ed\x00')).toBe('ared blink cd');
  });

  it('caps long text at a code point boundary with an ellipsis', () => {
    expect(capLength('abcdef', 4)).toBe('abc…');
    expect(Array.from(capLength('😀'.repeat(10), 5))).toEqual(['😀', '😀', '😀', '😀', '…']);
    expect(capLength('short', 10)).toBe('short');
  });

  it('neutralises headings, mentions, references, HTML and markup in Markdown', () => {
    const md = safeMarkdown('# Ship it\n@octocat and @org/team see #12 <script>alert(1)</script> **bold** [x](http://evil) `code` | pipe');
    expect(md).not.toMatch(/^#/);
    expect(md).toContain('\\# Ship it');
    expect(md).not.toMatch(/@octocat|@org/);
    expect(md).toContain('@&#8203;octocat');
    expect(md).toContain('#&#8203;12');
    expect(md).not.toContain('<script>');
    expect(md).toContain('&lt;script&gt;');
    expect(md).toContain('\\*\\*bold\\*\\*');
    expect(md).toContain('\\[x\\](http://evil)');
    expect(md).toContain('\\`code\\`');
    expect(md).toContain('\\| pipe');
    expect(md).not.toContain('\n');
  });

  it('redacts before it caps, so a cut never leaves half a key', () => {
    const text = `${'x'.repeat(INTENT_MAX - 10)} ${OPENAI}`;
    const out = safeText(text);
    expect(out).not.toContain(OPENAI.slice(0, 12));
    expect(Array.from(out).length).toBeLessThanOrEqual(INTENT_MAX);
  });

  it('escapes for HTML blocks and code spans', () => {
    expect(escapeHtml(`<b a="1">'&'</b>`)).toBe('&lt;b a=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;');
    expect(safeHtml('Fix @alice <img src=x onerror=alert(1)>')).toBe('Fix @&#8203;alice &lt;img src=x onerror=alert(1)&gt;');
    expect(mdCode('a`b|c')).toBe("`a'b\\|c`");
    // An apostrophe's entity is not mistaken for an issue reference.
    expect(safeMarkdown("it's #3")).toBe("it's \\#&#8203;3");
    expect(safeHtml("it's #3")).toBe('it&#39;s #&#8203;3');
  });
});
