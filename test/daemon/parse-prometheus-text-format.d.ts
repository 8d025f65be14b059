// The parser ships no types; the tests describe what they read of its result.
declare module 'parse-prometheus-text-format' {
  const parse: (text: string) => unknown;
  export default parse;
}
