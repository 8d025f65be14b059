/**
 * The same requests get the same bytes on the wire: the corpus's replies (reply-corpus.ts) against those of
 * the tree before the main thread's cuts of round 9, kept in data/reply-corpus.json.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { replyCorpus } from './reply-corpus.ts';

test('every reply of the corpus has the bytes and destination it had before', async () => {
  const expected = JSON.parse(
    readFileSync(new URL('./data/reply-corpus.json', import.meta.url), 'utf8'),
  ) as string[];
  const got = await replyCorpus();
  assert.equal(got.length, expected.length);
  for (let i = 0; i < got.length; i++) assert.equal(got[i], expected[i], `reply ${i}`);
  // The corpus exercises what it says: offers and ACKs, NAKs, silences, relayed replies.
  assert.ok(got.some((r) => r.startsWith('relay 198.18.1.1:67')));
  assert.ok(got.some((r) => r.startsWith('relay 198.18.9.1:67')));
  assert.ok(got.includes('-'));
});
