// Helper for netns.test.ts: opens a lab, then exits without close() in the way argv[2] says
// ('exit' | 'signal' | 'throw'), so the test can check the exit hooks cleaned up.
import { createLab } from './netns.ts';

const mode = process.argv[2] ?? 'exit';
const lab = await createLab('lx');
const ns = await lab.namespace('e');
const proc = ns.spawn('sleep', ['60']);
console.log(JSON.stringify({ ns: ns.name, pid: proc.pid, dir: lab.dir }));
if (mode === 'exit') process.exit(0);
if (mode === 'throw') throw new Error('uncaught on purpose');
// 'signal': wait (bounded) for the parent's SIGINT
setTimeout(() => process.exit(9), 60_000);
