/**
 * The axes of the temperature chart (chart.ts), apart from uPlot so they can be tested in Node.
 * uPlot calls a scale's range with the data's min and max, which are `null` before the first
 * reading: taken as numbers they put the time axis at 0, i.e. on 1 January 1970.
 */

/** Seconds an empty chart shows: the last minute, up to now. */
export const EMPTY_WINDOW_S = 60;

/** Below this span (s) the axis is widened, or a lone reading would stretch it over years. */
const MIN_SPAN_S = 20;

const isNumber = (value: number | null | undefined): value is number => typeof value === 'number' && Number.isFinite(value);

/** The time axis (epoch seconds): the last minute before any reading, at least 20 s after one. */
export function timeRange(min: number | null | undefined, max: number | null | undefined, nowS: number): [number, number] {
  if (!isNumber(min) || !isNumber(max)) return [nowS - EMPTY_WINDOW_S, nowS];
  return max - min < MIN_SPAN_S ? [max - MIN_SPAN_S, max + 1] : [min, max];
}

/** The °C axis: a degree of room around the readings; 0 to 30 °C before any. */
export function valueRange(min: number | null | undefined, max: number | null | undefined): [number, number] {
  if (!isNumber(min) || !isNumber(max)) return [0, 30];
  return [Math.floor(min) - 1, Math.ceil(max) + 1];
}
