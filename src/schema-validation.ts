import Ajv, { type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';

/** A validator like ajv's own (a type guard that leaves its `errors` behind), compiled on its first call. */
export interface LazyValidator<T = unknown> {
  // `data: any` as in ajv's own ValidateFunction: with `unknown`, a rejected value would narrow to `never`.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  (data: any): data is T;
  errors?: ErrorObject[] | null;
}

export interface ValidatorOptions extends Options {
  /** Adds ajv-formats' string formats (date-time, uri, ...). */
  withFormats?: boolean;
}

// One ajv per set of options: each instance keeps the validators it compiled, so a schema object is compiled once per process.
const instances = new Map<string, Ajv>();

function ajvFor(options: ValidatorOptions): Ajv {
  const key = JSON.stringify(options);
  let ajv = instances.get(key);
  if (!ajv) {
    const { withFormats, ...ajvOptions } = options;
    ajv = new Ajv(ajvOptions);
    if (withFormats) addFormats(ajv);
    instances.set(key, ajv);
  }
  return ajv;
}

/**
 * Validators that compile when first called. Compiling every schema when its module is imported
 * cost each process that loads the app (a tool command, a test file, a spawned server) half a
 * second, for validators most of them never call. `lazyAjv(options).compile(schema)` stands where
 * `new Ajv(options).compile(schema)` did.
 */
export function lazyAjv(options: ValidatorOptions = {}): { compile<T = unknown>(schema: object): LazyValidator<T> } {
  return {
    compile<T>(schema: object): LazyValidator<T> {
      let compiled: ((data: unknown) => boolean) & { errors?: ErrorObject[] | null } | undefined;
      const validate = ((data: unknown): data is T => {
        compiled ??= ajvFor(options).compile(schema);
        const ok = compiled(data);
        validate.errors = compiled.errors;
        return ok;
      }) as LazyValidator<T>;
      return validate;
    },
  };
}
