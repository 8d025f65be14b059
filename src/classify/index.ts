export { compileBoolExpression, compileStringExpression } from './expression.ts';
export type { CompiledBool, CompiledString, ExpressionEnv } from './expression.ts';
export { ExpressionError, EvaluationError } from './errors.ts';
export type { EvalPacket } from './packet.ts';
