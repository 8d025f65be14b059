import { join } from 'node:path';
import { SqliteLeaseStore } from '../../src/leases/sqlite.ts';
import { runConformance } from './conformance.ts';
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
