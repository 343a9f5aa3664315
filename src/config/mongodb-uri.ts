import { MongoClient } from 'mongodb';

/**
 * Why MONGODB_URI cannot be used, or null when it can (or is empty: the embedded store).
 * Parsed by the driver's own parser (a client built and never connected), so what passes here is
 * what the driver will accept; without this a malformed string threw from deep in start-up, the
 * service exited 1 and systemd restarted it every few seconds. The driver's words may quote a
 * piece of the password ("Unable to parse ss:w with URL"): every piece of the user part is masked.
 */
export function mongodbUriProblem(uri: string): string | null {
  if (!uri) return null;
  try {
    new MongoClient(uri, { serverSelectionTimeoutMS: 1000 });
    return null;
  } catch (err) {
    const userPart = /^[^:]*:\/\/(.*)@[^@]*$/.exec(uri)?.[1] ?? '';
    let why = (err as Error).message;
    for (const piece of [userPart, ...userPart.split(/[:@/]/)].filter((p) => p.length >= 2).sort((a, b) => b.length - a.length)) {
      why = why.split(piece).join('***');
    }
    const hint = userPart.includes('@') || /[/?#[\]]/.test(userPart.split(':').slice(1).join(':'))
      ? '; a password with @ : / ? # [ ] or % in it must be percent-encoded (for example @ as %40)'
      : '';
    return `MONGODB_URI is not a MongoDB connection string the driver accepts (${why}): it looks like mongodb://USER:PASSWORD@HOST:27017/?authSource=admin, or leave it empty for the embedded store${hint}`;
  }
}
