/**
 * What an error log line says about an error: its own name and message, and the root cause's
 * code (ENOSPC, EACCES, ECONNREFUSED; the MongoDB driver's number and codeName), which is what
 * an operator acts on. A StoreError or CarrierRequestError wraps the real failure as `cause`.
 */

/** The cause's code, as an operator would search for it: 'ENOSPC', 'MongoServerError 14031 OutOfDiskSpace'. */
export function rootCauseCode(err: unknown): string | undefined {
  let codeFound: string | undefined;
  const seen = new Set<unknown>();
  for (let e: unknown = err; e && typeof e === 'object' && !seen.has(e); e = (e as { cause?: unknown }).cause) {
    seen.add(e);
    const code = ownCode(e);
    if (code) codeFound = code;
  }
  return codeFound;
}

/** A code set by Node (errno strings) or by the MongoDB driver (a number, with codeName); not our own AppError codes. */
function ownCode(e: object): string | undefined {
  const { code, codeName, name } = e as { code?: unknown; codeName?: unknown; name?: unknown };
  if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
  if (typeof code === 'number') return [typeof name === 'string' ? name : 'error', code, typeof codeName === 'string' ? codeName : ''].join(' ').trim();
  // The driver's network errors carry no code; their name says what happened.
  if (typeof name === 'string' && /^Mongo(Network|ServerSelection|NetworkTimeout)/.test(name)) return name;
  return undefined;
}

/** Fields for an error log line: `err` (name: message) and, when there is one, `cause` (the root cause's code and message). */
export function errorFields(err: unknown): { err: string; cause?: string; code?: string } {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  let root: unknown = err;
  const seen = new Set<unknown>();
  while (root instanceof Error && root.cause && !seen.has(root.cause)) {
    seen.add(root);
    root = root.cause;
  }
  const code = rootCauseCode(err);
  const fields: { err: string; cause?: string; code?: string } = { err: text };
  if (root !== err) fields.cause = root instanceof Error ? `${root.name}: ${root.message}`.slice(0, 300) : String(root).slice(0, 300);
  if (code) fields.code = code;
  return fields;
}
