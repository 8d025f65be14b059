export { compileBoolExpression, compileStringExpression } from './expression.ts';
export type { CompiledBool, CompiledString, ExpressionEnv } from './expression.ts';
export { ExpressionError, EvaluationError } from './errors.ts';
export type { EvalPacket } from './packet.ts';
export { DROP, isBuiltinClass } from './builtin.ts';
export {
  admits,
  classLifetimes,
  classifyAdditional,
  classifyEarly,
  classifyHost,
  combination,
} from './classify.ts';
export { PacketClasses } from './classify.ts';
export type { Arrival } from './classify.ts';
export type { BootFields, Combination } from './class-trie.ts';
export { bytesOf, subOption } from './packet.ts';
