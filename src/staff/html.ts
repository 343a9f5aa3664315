/**
 * Server-rendered HTML with escaping by default: `html` escapes every interpolated value unless
 * it is already SafeHtml (another `html` fragment), so a commune name or a note can never inject
 * markup. Use `raw()` only for markup the code itself wrote.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(value: unknown): string {
  return String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

type Interpolated = SafeHtml | string | number | boolean | null | undefined | readonly Interpolated[];

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(value);
}

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i += 1) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * Renders a long list (a row per commune: 1,650 of them for the country) a slice at a time,
 * letting the event loop run in between: the webhooks share this thread, and one page rendered
 * in one go held them up for 50-100 ms.
 */
export async function htmlInSlices<T>(items: readonly T[], renderItem: (item: T) => SafeHtml, sliceSize = 100): Promise<SafeHtml> {
  let out = '';
  for (let i = 0; i < items.length; i += sliceSize) {
    if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
    for (const item of items.slice(i, i + sliceSize)) out += renderItem(item).value;
  }
  return new SafeHtml(out);
}
