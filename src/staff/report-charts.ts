/**
 * Report charts that fit any width, a 360 px phone included, and read in print and in greyscale.
 *
 * A figure's chart is a small table, one row per point of the scale (all five, always): the
 * point's number and name, a bar as long as its share of the ratings, and its count and share as
 * text. The table is the chart's text alternative (a screen reader reads rows and numbers; the
 * bars are hidden from it), and its bars are SVG rectangles whose width is a percentage of the
 * cell, so they shrink with the screen while the text keeps its size. Each point has its own
 * hatch pattern as well as a tint, so no figure depends on colour.
 */
import { Figures } from '../reports/figures';
import { html, SafeHtml } from './html';
import { Translate } from './i18n/i18n';

/** Catalog keys of the five scale points, 1 to 5. */
export const SCALE_KEYS = ['scale.1', 'scale.2', 'scale.3', 'scale.4', 'scale.5'] as const;

const TINTS = ['#f4c7c3', '#fbe3c2', '#eeeeee', '#d4ecd0', '#a8d5a2'];

/** Hatch patterns for scale points 1-5, defined once per page and referenced by every chart. */
export function chartPatterns(): SafeHtml {
  const defs = [
    // 1: dense cross-hatch
    html`<path d="M0 0L6 6M6 0L0 6" stroke="#000" stroke-width="1.2"/>`,
    // 2: diagonal lines
    html`<path d="M0 6L6 0" stroke="#000" stroke-width="1.2"/>`,
    // 3: dots
    html`<circle cx="3" cy="3" r="1.1" fill="#000"/>`,
    // 4: horizontal lines
    html`<path d="M0 3H6" stroke="#000" stroke-width="1"/>`,
    // 5: solid dark
    html`<rect width="6" height="6" fill="#2f5d2b"/>`,
  ];
  return html`<svg class="chart-patterns" width="0" height="0" aria-hidden="true" focusable="false"><defs>${defs.map(
    (d, k) => html`<pattern id="scale-${k + 1}" width="6" height="6" patternUnits="userSpaceOnUse"><rect width="6" height="6" fill="${TINTS[k]}"/>${d}</pattern>`,
  )}</defs></svg>`;
}

export const percent = (share: number | null) => (share === null ? '' : `${Math.round(share * 100)}%`);
/** An SVG length as a percentage, to two decimals. */
const pc = (share: number) => `${Math.round(share * 10000) / 100}%`;

/**
 * One figure's ratings at the five points of the scale, for a figure that is shown (the caller
 * says why there is none otherwise). `caption` names the figure and says what it means.
 */
export function scaleChart(caption: SafeHtml, f: Figures, t: Translate): SafeHtml {
  const counts = f.counts ?? [0, 0, 0, 0, 0];
  const answers = f.answers || 1;
  const rows = counts.map((c, k) => {
    const share = c / answers;
    return html`<tr><th scope="row"><span class="point">${k + 1}</span> ${t(SCALE_KEYS[k])}</th><td><div class="bar-line"><svg class="bar" aria-hidden="true" focusable="false" width="100%" height="18">${c > 0 ? html`<rect x="0" y="1" width="${pc(share)}" height="16" fill="url(#scale-${k + 1})" stroke="#000" stroke-width="1"/>` : ''}<line x1="0.5" y1="0" x2="0.5" y2="18" stroke="#000" stroke-width="1"/></svg><span class="count">${c} <span class="share">(${percent(share)})</span></span></div></td></tr>`;
  });
  return html`<figure class="scale-chart">
<figcaption>${caption}</figcaption>
<table class="scale-bars">
<thead class="visually-hidden"><tr><th scope="col">${t('report.chart-point')}</th><th scope="col">${t('report.chart-count')}</th></tr></thead>
<tbody>${rows}</tbody>
</table>
</figure>`;
}

/**
 * The five points as one bar of five patterned parts, for the one-page scorecard, with the counts
 * in words beside it for screen readers and as numbers under it for the eye (a point nobody gave
 * has no part in the bar, but its 0 is printed).
 */
export function stackedBar(f: Figures, t: Translate): SafeHtml {
  const counts = f.counts ?? [0, 0, 0, 0, 0];
  const answers = f.answers || 1;
  let x = 0;
  const parts = counts.map((c, k) => {
    const part = c > 0 ? html`<rect x="${pc(x)}" y="1" width="${pc(c / answers)}" height="14" fill="url(#scale-${k + 1})" stroke="#000" stroke-width="0.8"/>` : '';
    x += c / answers;
    return part;
  });
  const spoken = counts.map((c, k) => `${k + 1} ${t(SCALE_KEYS[k])}: ${c}`).join('; ');
  return html`<span class="stacked"><svg aria-hidden="true" focusable="false" width="100%" height="16">${parts}</svg><span class="stacked-counts" aria-hidden="true">${counts.map((c) => html`<span>${c}</span>`)}</span><span class="visually-hidden">${spoken}</span></span>`;
}

/** The five patterns with their points' names, once above the scorecard's bars. */
export function scaleKey(t: Translate): SafeHtml {
  return html`<ul class="scale-key">${SCALE_KEYS.map((key, k) => html`<li><svg aria-hidden="true" focusable="false" width="14" height="14"><rect width="14" height="14" fill="url(#scale-${k + 1})" stroke="#000" stroke-width="1"/></svg> ${k + 1} ${t(key)}</li>`)}</ul>`;
}
