/** An expression refused at configuration time: what is wrong, where, and the offending token. */
export class ExpressionError extends Error {
  readonly code = 'ERR_EXPRESSION';
  override name = 'ExpressionError';
  /** Offset in the expression text. */
  readonly at: number;
  readonly token: string;
  constructor(reason: string, at: number, token: string) {
    super(`${reason} at offset ${at}${token === '' ? '' : ` ("${token}")`}`);
    this.at = at;
    this.token = token;
  }
}

/**
 * A value an operator cannot take, found while evaluating one packet (Kea's EvalTypeError, e.g.
 * `int16totext` of 3 bytes). The class being tested is then not assigned, as in Kea.
 */
export class EvaluationError extends Error {
  readonly code = 'ERR_EVALUATION';
  override name = 'EvaluationError';
}
