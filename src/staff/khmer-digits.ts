/** Khmer digits (០-៩), as a Khmer phone keyboard types them, read as the digits they are. */
export function westernDigits(value: string): string {
  return value.replace(/[\u17E0-\u17E9]/g, (d) => String(d.charCodeAt(0) - 0x17e0));
}

/** Western digits written as Khmer digits (០-៩), for a Khmer page's figures and dates. */
export function khmerDigits(value: string): string {
  return value.replace(/[0-9]/g, (d) => String.fromCharCode(0x17e0 + Number(d)));
}
