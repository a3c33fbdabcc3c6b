/**
 * Just enough XML for ISO 20022 messages: a strict, non-validating parser for well-formed documents without
 * a DTD (a DOCTYPE is refused, so no entity expansion), and escaping for the writer. Names are kept as local
 * names (namespace prefixes dropped); the default namespace is kept on the element as `ns`.
 */
export interface XmlElement {
  name: string;
  ns: string | null;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** Concatenated character data directly inside the element, trimmed. */
  text: string;
}

export class XmlError extends Error {}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

function decodeEntities(s: string, at: number): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-zA-Z]+);|&/g, (_m, e: string | undefined) => {
    if (e === undefined) throw new XmlError(`a bare & near offset ${at}`);
    if (e[0] === '#') {
      const code = e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new XmlError(`bad character reference &${e}; near offset ${at}`);
      return String.fromCodePoint(code);
    }
    const v = ENTITIES[e];
    if (v === undefined) throw new XmlError(`unknown entity &${e}; near offset ${at}`);
    return v;
  });
}

const localName = (qname: string) => qname.slice(qname.indexOf(':') + 1);

export function parseXml(src: string): XmlElement {
  let i = src.charCodeAt(0) === 0xfeff ? 1 : 0;
  const stack: XmlElement[] = [];
  const nsStack: (string | null)[] = [];
  let root: XmlElement | undefined;
  let textBuf = '';
  const flushText = () => {
    if (stack.length) stack[stack.length - 1].text += textBuf;
    else if (textBuf.trim()) throw new XmlError('text outside the root element');
    textBuf = '';
  };
  while (i < src.length) {
    const lt = src.indexOf('<', i);
    if (lt < 0) {
      textBuf += decodeEntities(src.slice(i), i);
      break;
    }
    if (lt > i) textBuf += decodeEntities(src.slice(i, lt), i);
    if (src.startsWith('<!--', lt)) {
      const end = src.indexOf('-->', lt + 4);
      if (end < 0) throw new XmlError('unterminated comment');
      i = end + 3;
    } else if (src.startsWith('<![CDATA[', lt)) {
      const end = src.indexOf(']]>', lt + 9);
      if (end < 0) throw new XmlError('unterminated CDATA');
      textBuf += src.slice(lt + 9, end);
      i = end + 3;
    } else if (src.startsWith('<?', lt)) {
      const end = src.indexOf('?>', lt + 2);
      if (end < 0) throw new XmlError('unterminated processing instruction');
      i = end + 2;
    } else if (src.startsWith('<!', lt)) {
      throw new XmlError('DOCTYPE and DTDs are not accepted');
    } else if (src.startsWith('</', lt)) {
      const end = src.indexOf('>', lt);
      if (end < 0) throw new XmlError('unterminated end tag');
      const name = src.slice(lt + 2, end).trim();
      flushText();
      const open = stack.pop();
      nsStack.pop();
      if (!open || open.name !== localName(name)) throw new XmlError(`</${name}> does not close <${open?.name ?? 'nothing'}> near offset ${lt}`);
      open.text = open.text.trim();
      i = end + 1;
    } else {
      const m = /^<([A-Za-z_][\w.:-]*)((?:\s+[A-Za-z_][\w.:-]*\s*=\s*(?:"[^"<]*"|'[^'<]*'))*)\s*(\/?)>/.exec(src.slice(lt, lt + 4096));
      if (!m) throw new XmlError(`malformed start tag near offset ${lt}`);
      flushText();
      const attrs: Record<string, string> = {};
      let ns = nsStack.length ? nsStack[nsStack.length - 1] : null;
      for (const a of m[2].matchAll(/([A-Za-z_][\w.:-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) {
        const value = decodeEntities(a[3] ?? a[4] ?? '', lt);
        if (a[1] === 'xmlns') ns = value;
        else attrs[localName(a[1])] = value;
      }
      const el: XmlElement = { name: localName(m[1]), ns, attrs, children: [], text: '' };
      if (stack.length) stack[stack.length - 1].children.push(el);
      else if (root) throw new XmlError('more than one root element');
      else root = el;
      if (!m[3]) {
        stack.push(el);
        nsStack.push(ns);
      }
      i = lt + m[0].length;
    }
  }
  flushText();
  if (stack.length) throw new XmlError(`<${stack[stack.length - 1].name}> is not closed`);
  if (!root) throw new XmlError('no root element');
  return root;
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

export function child(el: XmlElement | undefined, name: string): XmlElement | undefined {
  return el?.children.find((c) => c.name === name);
}

export function childrenNamed(el: XmlElement | undefined, name: string): XmlElement[] {
  return el ? el.children.filter((c) => c.name === name) : [];
}

/** `at(el, 'A/B/C')`: the first element along the path, or undefined. */
export function at(el: XmlElement | undefined, path: string): XmlElement | undefined {
  let cur = el;
  for (const step of path.split('/')) cur = child(cur, step);
  return cur;
}

export function textAt(el: XmlElement | undefined, path: string): string | undefined {
  return at(el, path)?.text;
}
