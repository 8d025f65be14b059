import { DEFAULT_MAX_JSON_DEPTH, nestingMessage } from '../config/index.ts';

/**
 * Finds where one JSON value ends in a byte stream, as Kea's control socket reads "until a complete JSON
 * value parses": track nesting of `{}`/`[]` outside strings. Only objects and arrays can be framed, so any
 * other first character is an error at once (Kea answers `invalid first character g`).
 */
export type FrameState =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'complete'; readonly text: string }
  | { readonly kind: 'invalid'; readonly message: string };

export class JsonFrameScanner {
  readonly #maxDepth: number;
  #text = '';
  #scanned = 0;
  #depth = 0;
  #started = false;
  #inString = false;
  #escaped = false;

  /** `maxDepth`: deeper nesting of objects and arrays is invalid at once, before anything is parsed. */
  constructor(maxDepth: number = DEFAULT_MAX_JSON_DEPTH) {
    this.#maxDepth = maxDepth;
  }

  /** Feeds decoded text; once complete or invalid, later input is ignored. */
  push(chunk: string): FrameState {
    this.#text += chunk;
    for (; this.#scanned < this.#text.length; this.#scanned += 1) {
      const c = this.#text[this.#scanned];
      if (!this.#started) {
        if (c === ' ' || c === '\n' || c === '\r' || c === '\t') continue;
        if (c !== '{' && c !== '[') return { kind: 'invalid', message: `invalid first character ${c}` };
        this.#started = true;
      }
      if (this.#inString) {
        if (this.#escaped) this.#escaped = false;
        else if (c === '\\') this.#escaped = true;
        else if (c === '"') this.#inString = false;
      } else if (c === '"') {
        this.#inString = true;
      } else if (c === '{' || c === '[') {
        this.#depth += 1;
        if (this.#depth > this.#maxDepth) return { kind: 'invalid', message: nestingMessage(this.#maxDepth) };
      } else if (c === '}' || c === ']') {
        this.#depth -= 1;
        if (this.#depth === 0) return { kind: 'complete', text: this.#text.slice(0, this.#scanned + 1) };
      }
    }
    return { kind: 'incomplete' };
  }

  /** Whether anything but whitespace arrived. */
  get started(): boolean {
    return this.#started;
  }
}
