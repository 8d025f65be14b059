import { MemoryLeaseStore } from '../../src/leases/memory.ts';
import { runConformance } from './conformance.ts';

runConformance({
  name: 'memory',
  persistent: false,
  shared: false,
  async create() {
    return {
      open: async () => new MemoryLeaseStore(),
      destroy: async () => undefined,
    };
  },
});
