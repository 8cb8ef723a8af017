/** A cooldown as the tables show it: unset (null) is the default, 0 is explicitly none. */
export function cooldownText(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "default";
  if (seconds === 0) return "none";
  return `${seconds} s`;
}

export function dateText(iso: string): string {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? iso : at.toLocaleString();
}
