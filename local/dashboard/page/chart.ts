/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
import uPlot from 'uplot';
import { timeRange, valueRange } from './chart-range.js';

const MAX_POINTS = 300;

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
