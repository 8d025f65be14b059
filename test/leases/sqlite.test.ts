import { join } from 'node:path';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { describe } from 'node:test';
import { runConformance } from './conformance.ts';
import { runDifferential } from './differential.ts';
import { tempDir } from './tmp.ts';

runConformance({
  name: 'sqlite',
  persistent: true,
  shared: true,
  async create() {
    const tmp = tempDir();
    const path = join(tmp.dir, 'leases.db');
    return {
      open: () => SqliteLeaseStore.open({ path }),
      destroy: async () => tmp.remove(),
    };
  },
});

describe('sqlite lease store', () => {
  runDifferential('sqlite', async () => {
    const tmp = tempDir();
    const store = await SqliteLeaseStore.open({ path: join(tmp.dir, 'leases.db') });
    return {
      store,
      done: async () => {
        await store.close();
        tmp.remove();
      },
    };
  });
});
