/** One Kea-style command to this origin's HTTP control channel (same listener, same credentials). */
export async function controlCommand<T>(command: string): Promise<T> {
  const res = await fetch('/', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ command, service: ['dhcp4'] }),
  });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const answers = (await res.json()) as { result: number; text?: string; arguments?: T }[];
  const answer = answers[0];
  if (answer === undefined || answer.result !== 0 || answer.arguments === undefined)
    throw new Error(answer?.text ?? 'no answer');
  return answer.arguments;
}
