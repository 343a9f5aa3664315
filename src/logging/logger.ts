import pino, { Logger, DestinationStream } from 'pino';

export type { Logger };

/**
 * One JSON-lines logger for the app. Phone numbers, credentials and recording URLs must never
 * reach the log; callers of the logger pass hashes and ids, and these paths are redacted as a
 * second line of defence.
 */
export const REDACTED_PATHS = [
  'From', 'To', 'Caller', 'Called', 'phone', 'number',
  '*.From', '*.To', '*.Caller', '*.Called', '*.password', '*.token', '*.authToken',
  'password', 'token', 'authToken', 'authorization', 'cookie',
  'headers.authorization', 'headers.cookie', 'req.headers.authorization', 'req.headers.cookie',
  'RecordingUrl', '*.RecordingUrl',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination,
  );
}
