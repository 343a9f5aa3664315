/**
 * The benchmark's floor: a bare Express app that answers every webhook with one fixed TwiML
 * document (a Gather with a few Plays), parsing the same form bodies but doing nothing else.
 * Whatever the hotline costs above this is the price of its flow, signature check and store.
 * It also answers GET /public/commune/<code> with one fixed small HTML page (the floor of the
 * public commune page in bench/public-benchmark.ts).
 *
 *   PORT=4100 node --import tsx bench/floor-server.ts
 */
import express from 'express';

export const FLOOR_TWIML = (base: string) =>
  '<?xml version="1.0" encoding="UTF-8"?><Response>'
  + `<Gather action="${base}/voice/turn?t=1&amp;l=km" method="POST" numDigits="1" timeout="7">`
  + `<Play>${base}/audio/km/main.menu.wav</Play>`
  + `<Play>${base}/audio/km/digit.1.wav</Play>`
  + `<Play>${base}/audio/km/digit.2.wav</Play>`
  + '</Gather>'
  + `<Redirect method="POST">${base}/voice/turn?t=1&amp;l=km&amp;in=silence</Redirect>`
  + '</Response>';

export const FLOOR_PAGE = '<!doctype html><html lang="km"><head><meta charset="utf-8"><title>Commune</title></head>'
  + '<body><main><h1>Commune</h1><p>7 of 10 callers were satisfied with the health centre.</p></main></body></html>';

export function createFloorApp(publicBaseUrl: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  const twiml = FLOOR_TWIML(publicBaseUrl);
  app.get('/health', (_req, res) => { res.json({ status: 'ok', store: 'none' }); });
  app.get('/public/commune/:code', (_req, res) => { res.status(200).type('html').send(FLOOR_PAGE); });
  app.use('/voice', express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 100 }));
  app.post('/voice/status', (_req, res) => { res.status(204).end(); });
  app.post('/voice/:hook', (_req, res) => { res.status(200).type('text/xml').send(twiml); });
  return app;
}

if (require.main === module) {
  const port = Number(process.env.PORT ?? 4100);
  const base = process.env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${port}`;
  createFloorApp(base).listen(port, '127.0.0.1');
  process.on('SIGTERM', () => process.exit(0));
}
