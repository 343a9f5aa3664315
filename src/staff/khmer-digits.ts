/** Khmer digits (០-៩), as a Khmer phone keyboard types them, read as the digits they are. */
export function westernDigits(value: string): string {
  return value.replace(/[\u17E0-\u17E9]/g, (d) => String(d.charCodeAt(0) - 0x17e0));
}
