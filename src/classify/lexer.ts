/**
 * Tokens of Kea's expression language (Kea's src/lib/eval/lexer.ll, in meaning): single-quoted strings
 * with no escapes, 0x hex strings, signed integers, IPv4 literals, option names (an identifier followed by
 * `]`), keywords and punctuation.
 */
import { ExpressionError } from './errors.ts';

export type TokenKind = 'string' | 'hex' | 'int' | 'ip' | 'name' | 'word' | 'punct' | 'end';

export interface Token {
  readonly kind: TokenKind;
  /** The text: a string's content without quotes, a keyword, a punctuation mark. */
  readonly text: string;
  /** Offset of the token's first character in the expression. */
  readonly at: number;
}

/** Expressions longer than this are refused: a class test is a line, not a program. */
export const MAX_EXPRESSION_LENGTH = 4096;

const KEYWORDS = new Set([
  'option',
  'relay4',
  'relay6',
  'member',
  'known',
  'unknown',
  'match',
  'text',
  'hex',
  'exists',
  'pkt',
  'iface',
  'src',
  'dst',
  'len',
  'pkt4',
  'pkt6',
  'mac',
  'hlen',
  'htype',
  'ciaddr',
  'giaddr',
  'yiaddr',
  'siaddr',
  'msgtype',
  'transid',
  'peeraddr',
  'linkaddr',
  'vendor',
  'vendor-class',
  'data',
  'enterprise',
  'substring',
  'split',
  'all',
  'concat',
  'ifelse',
  'sifelse',
  'hexstring',
  'addrtotext',
  'int8totext',
  'int16totext',
  'int32totext',
  'uint8totext',
  'uint16totext',
  'uint32totext',
  'lcase',
  'ucase',
  'not',
  'and',
  'sand',
  'or',
  'sor',
]);

const PUNCT = new Set(['(', ')', '[', ']', '.', ',', '*', '+']);

const IP_RE = /[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/y;
const INT_RE = /-?[0-9]+/y;
const HEX_RE = /0[xX][0-9a-fA-F]+/y;
const WORD_RE = /[A-Za-z](?:[-_A-Za-z0-9]*[A-Za-z0-9])?/y;
const BLANK_RE = /[ \t\n\r]*/y;

function stickyMatch(re: RegExp, s: string, at: number): string | undefined {
  re.lastIndex = at;
  return re.exec(s)?.[0];
}

export function tokenize(source: string): Token[] {
  if (source.length > MAX_EXPRESSION_LENGTH)
    throw new ExpressionError(`expression is longer than ${MAX_EXPRESSION_LENGTH} characters`, 0, '');
  const out: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if (c === "'") {
      const end = source.indexOf("'", i + 1);
      const nl = source.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end))
        throw new ExpressionError('unterminated string', i, source.slice(i, i + 16));
      out.push({ kind: 'string', text: source.slice(i + 1, end), at: i });
      i = end + 1;
      continue;
    }
    if (c === '=' && source[i + 1] === '=') {
      out.push({ kind: 'punct', text: '==', at: i });
      i += 2;
      continue;
    }
    if (PUNCT.has(c)) {
      out.push({ kind: 'punct', text: c, at: i });
      i++;
      continue;
    }
    const hex = stickyMatch(HEX_RE, source, i);
    if (hex !== undefined) {
      out.push({ kind: 'hex', text: hex, at: i });
      i += hex.length;
      continue;
    }
    const ip = stickyMatch(IP_RE, source, i);
    if (ip !== undefined) {
      out.push({ kind: 'ip', text: ip, at: i });
      i += ip.length;
      continue;
    }
    const int = stickyMatch(INT_RE, source, i);
    if (int !== undefined) {
      out.push({ kind: 'int', text: int, at: i });
      i += int.length;
      continue;
    }
    const word = stickyMatch(WORD_RE, source, i);
    if (word !== undefined) {
      const after = i + word.length;
      const next = after + (stickyMatch(BLANK_RE, source, after) ?? '').length;
      // Kea: an identifier right before `]` is an option name (`option[host-name]`), even a keyword.
      if (source[next] === ']') out.push({ kind: 'name', text: word, at: i });
      else if (KEYWORDS.has(word)) out.push({ kind: 'word', text: word, at: i });
      else throw new ExpressionError('unknown word', i, word);
      i = after;
      continue;
    }
    throw new ExpressionError('unexpected character', i, c);
  }
  out.push({ kind: 'end', text: '', at: source.length });
  return out;
}
