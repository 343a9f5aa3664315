/**
 * The app's error tree: each class has a stable `name`, a `code` and an HTTP status; the
 * original error travels as `cause`. One handler (src/http/error-handler.ts) turns them into responses.
 */
export class AppError extends Error {
  readonly code: string = 'APP_ERROR';
  readonly status: number = 500;
  /** The staff message catalog's key (and values) for this message, so a staff page can show it in the reader's language. */
  readonly messageKey?: string;
  readonly messageVars?: Record<string, string | number>;
  constructor(message: string, options?: { cause?: unknown; key?: string; vars?: Record<string, string | number> }) {
    super(message, options);
    this.name = new.target.name;
    this.messageKey = options?.key;
    this.messageVars = options?.vars;
  }
}

/** A setting or data file is wrong; the message says which and what to do. */
export class ConfigError extends AppError {
  override readonly code = 'CONFIG_INVALID';
}

/** The flow definition, prompt catalog or another definition file failed validation. */
export class DefinitionError extends AppError {
  override readonly code = 'DEFINITION_INVALID';
}

/** The request is malformed: missing or garbage parameters. */
export class BadRequestError extends AppError {
  override readonly code = 'BAD_REQUEST';
  override readonly status = 400;
}

/** A webhook whose X-Twilio-Signature does not match. */
export class SignatureError extends AppError {
  override readonly code = 'SIGNATURE_INVALID';
  override readonly status = 403;
}

/** Signed in, but the role (or a stale form) does not allow this. */
export class ForbiddenError extends AppError {
  override readonly code = 'FORBIDDEN';
  override readonly status = 403;
}

export class NotFoundError extends AppError {
  override readonly code = 'NOT_FOUND';
  override readonly status = 404;
}

/** The request crossed a change made meanwhile (another reviewer acted first): reload and look again. */
export class ConflictError extends AppError {
  override readonly code = 'CONFLICT';
  override readonly status = 409;
}

/** The database could not be reached or refused an operation. */
export class StoreError extends AppError {
  override readonly code = 'STORE_UNAVAILABLE';
  override readonly status = 503;
}

/** A unique key already exists (MongoDB code 11000, NeDB uniqueViolated). */
export class DuplicateKeyError extends AppError {
  override readonly code = 'DUPLICATE_KEY';
  override readonly status = 409;
}

/** A turn took so long that the carrier would give up on the webhook; the caller hears error.system instead. */
export class TurnDeadlineError extends AppError {
  override readonly code = 'TURN_DEADLINE';
  override readonly status = 503;
}
