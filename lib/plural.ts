/** "1 service", "2 services": a count with its noun, plural when the count is not one. */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}
