import { Readable } from 'node:stream';
import fc from 'fast-check';
import { CSV_BOM, CsvCrlf } from './csv';

/** A field as PostgreSQL's COPY … CSV writes it: quoted when it holds a comma, quote, CR or LF, quotes doubled. */
const pgField = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

async function through(chunks: Buffer[]): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const c of Readable.from(chunks, { objectMode: false }).pipe(new CsvCrlf())) out.push(c as Buffer);
  return Buffer.concat(out);
}

/** Cuts `b` at the given offsets (any byte: inside a quote pair, a UTF-8 character, between CR and LF). */
function cut(b: Buffer, at: number[]): Buffer[] {
  const points = [...new Set(at.map((p) => p % (b.length + 1)))].sort((x, y) => x - y);
  const parts: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    parts.push(b.subarray(from, p));
    from = p;
  }
  parts.push(b.subarray(from));
  return parts.filter((p) => p.length > 0);
}

describe('CsvCrlf (PostgreSQL CSV → CRLF records and a BOM)', () => {
  const records = [['claim_id', 'reason'], ['a', '发票不符, 需"复核"'], ['b', '退货\n第二行'], ['c', 'cr\ronly'], ['d', ''], ['e', '"'], ['f', 'crlf\r\ninside']];
  const lf = Buffer.from(records.map((r) => r.map(pgField).join(',')).join('\n') + '\n', 'utf8');
  const crlf = Buffer.from(CSV_BOM + records.map((r) => r.map(pgField).join(',')).join('\r\n') + '\r\n', 'utf8');

  it('ends records with CRLF and leaves line breaks inside quoted fields alone', async () => {
    expect((await through([lf])).equals(crlf)).toBe(true);
  });

  it('gives the same bytes however the input is cut into chunks', async () => {
    for (let i = 0; i <= lf.length; i++) expect([i, (await through(cut(lf, [i]))).equals(crlf)]).toEqual([i, true]);
    expect((await through(cut(lf, Array.from({ length: lf.length }, (_, i) => i)))).equals(crlf)).toBe(true);
  });

  it('writes the BOM once, even for an empty stream', async () => {
    expect((await through([])).toString('utf8')).toBe(CSV_BOM);
    const two = await through([Buffer.from('a\n'), Buffer.from('b\n')]);
    expect(two.toString('utf8')).toBe(`${CSV_BOM}a\r\nb\r\n`);
  });

  it('matches a line-by-line reference on random records and random cuts', async () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'Z', '0', ' ', ',', '"', '\n', '\r', ';', '=', '发', '—'), maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), async (rows, at) => {
        const lines = rows.map((r) => r.map(pgField).join(','));
        const input = Buffer.from(lines.map((l) => `${l}\n`).join(''), 'utf8');
        const expected = Buffer.from(CSV_BOM + lines.map((l) => `${l}\r\n`).join(''), 'utf8');
        expect((await through(cut(input, at))).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
