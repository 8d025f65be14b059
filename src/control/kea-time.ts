/**
 * Kea's timestamp text, `2026-11-23 12:00:00.123456`, in local time as Kea prints it. JavaScript clocks
 * have millisecond precision, so the last three digits are zero.
 */
export function keaTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const date = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
  const time = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return `${date} ${time}.${p(d.getMilliseconds() * 1000, 6)}`;
}
