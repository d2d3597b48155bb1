/**
 * vitest 4.1's JUnit reporter writes `<skipped/>` without the reason a test gave to
 * `skip(reason)`. CI test views show that attribute, and a skipped target must say why, so the
 * testbench reporter adds `message="..."` to those elements once the JUnit file is complete.
 * Test cases are found by their file and name (vitest names them `suite > ... > test`, the
 * test's full name).
 */
export interface SkipReason {
  file: string;
  fullName: string;
  reason: string;
}

export function addSkipReasons(xml: string, skips: readonly SkipReason[]): { xml: string; added: number } {
  if (skips.length === 0) return { xml, added: 0 };
  const byName = new Map(skips.map((s) => [`${s.file}\u0000${s.fullName}`, s.reason]));
  const byNameOnly = new Map(skips.map((s) => [s.fullName, s.reason]));
  let added = 0;
  const out = xml.replace(
    /<testcase\b([^>]*)>([\s\S]*?)<\/testcase>/g,
    (block: string, attrs: string, body: string) => {
      if (!body.includes('<skipped/>')) return block;
      const name = attribute(attrs, 'name');
      if (name === undefined) return block;
      const file = attribute(attrs, 'file');
      const reason = (file !== undefined ? byName.get(`${file}\u0000${name}`) : undefined) ?? byNameOnly.get(name);
      if (reason === undefined) return block;
      added += 1;
      return `<testcase${attrs}>${body.replace('<skipped/>', `<skipped message="${escapeXml(reason)}"/>`)}</testcase>`;
    },
  );
  return { xml: out, added };
}

function attribute(attrs: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`).exec(attrs);
  return match ? unescapeXml(match[1] as string) : undefined;
}

function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function unescapeXml(text: string): string {
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
