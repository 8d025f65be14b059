/**
 * Writes the table of Kea `Dhcp4` keys into docs/configuration.md (between its key-table markers), from
 * the schema and Kea's all-keys.json files (Kea 2.2 and 3.0, test/config/fixtures/kea). Run:
 * `node --import tsx scripts/config-key-table.ts` (or with `--check` to fail when the doc is stale).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DOC, renderKeyTableDoc } from '../test/config/key-table-doc.ts';

const doc = DOC;
const before = readFileSync(doc, 'utf8');
const after = await renderKeyTableDoc(before);
if (process.argv.includes('--check')) {
  if (after !== before) {
    console.error(
      'docs/configuration.md: the key table is stale; run node --import tsx scripts/config-key-table.ts',
    );
    process.exit(1);
  }
} else if (after !== before) {
  writeFileSync(doc, after);
  console.log('docs/configuration.md: key table updated');
}
