/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import uPlot from 'uplot';
import { timeRange, valueRange } from './chart-range.js';

/** An hour of a sensor every 2 s, plus room: the chart opens with the last hour (chart-history.ts). */
const MAX_POINTS = 2000;

/** The sensor temperatures as the server received them, one point per reading, over time (uPlot). */
export class TemperatureChart {
  private readonly times: number[] = [];
  private readonly values: number[] = [];
  private readonly plot: uPlot;

  constructor(private readonly element: HTMLElement) {
    this.plot = new uPlot(
      {
        width: this.width(),
        height: 220,
        scales: {
          // No reading yet: the last minute (not 1970); a lone reading: at least 20 s (chart-range.ts).
          x: { time: true, range: (_u, min, max) => timeRange(min, max, Date.now() / 1000) },
          y: { range: (_u, min, max) => valueRange(min, max) },
        },
        series: [{}, { label: 'sensor/temp °C', stroke: '#cf222e', width: 2, points: { show: true, size: 5 } }],
        axes: [{}, { label: '°C', size: 50 }],
        legend: { show: true },
      },
      [[], []],
      element,
    );
    window.addEventListener('resize', () => this.plot.setSize({ width: this.width(), height: 220 }));
  }

  /**
   * Puts earlier readings (oldest first) before the ones already shown: the history loaded on
   * open. Those not older than the first point shown are left out (the live feed has them).
   */
  prepend(points: Array<{ atMs: number; value: number }>): void {
    const first = this.times[0];
    const older = points.filter((p) => first === undefined || p.atMs / 1000 < first);
    this.times.unshift(...older.map((p) => p.atMs / 1000));
    this.values.unshift(...older.map((p) => p.value));
    while (this.times.length > MAX_POINTS) {
      this.times.shift();
      this.values.shift();
    }
    this.plot.setData([this.times, this.values]);
  }

  /** Adds a reading (`atMs` epoch milliseconds; uPlot's time scale is in seconds). */
  add(atMs: number, value: number): void {
    this.times.push(atMs / 1000);
    this.values.push(value);
    if (this.times.length > MAX_POINTS) {
      this.times.shift();
      this.values.shift();
    }
    this.plot.setData([this.times, this.values]);
  }

  private width(): number {
    return Math.max(300, this.element.clientWidth || 500);
  }
}
