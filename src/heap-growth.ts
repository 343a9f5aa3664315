import * as v8 from 'node:v8';

/**
 * How far V8 lets the heap grow past what was live at the last full collection. Under a steady
 * stream of webhooks V8 picks its largest factor (4x): the call-load benchmark's saturation row
 * peaked at 285 MB with 40 MB live. 1.5x keeps that row under 180 MB at the same throughput
 * (npm run bench -- --engines embedded --shapes saturation). It is a factor, not a cap, so a
 * large embedded store still fits. Imported first by the server, before the heap has grown.
 */
export const HEAP_GROWING_PERCENT = 50;

v8.setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
