import { svg } from './dom.ts';

const POINTS = 60;
const W = 300;
const H = 80;

/** Two lines (received, sent packets per second) over the last POINTS samples, drawn in SVG. */
export class RateChart {
  // A flat zero line from the start; new rates scroll in from the right.
  readonly #received: number[] = new Array<number>(POINTS).fill(0);
  readonly #sent: number[] = new Array<number>(POINTS).fill(0);
  readonly #lines: [SVGPolylineElement, SVGPolylineElement];
  readonly #max: SVGTextElement;

  constructor(host: HTMLElement) {
    const root = svg('svg', {
      viewBox: `0 0 ${W} ${H}`,
      preserveAspectRatio: 'none',
      role: 'img',
      'aria-label': 'packets per second, received and sent',
    });
    root.append(svg('line', { x1: 0, y1: H - 0.5, x2: W, y2: H - 0.5, class: 'axis' }));
    this.#lines = [
      svg('polyline', { class: 'rx', points: '' }),
      svg('polyline', { class: 'tx', points: '' }),
    ];
    root.append(...this.#lines);
    this.#max = svg('text', { x: 4, y: 12, class: 'scale' });
    root.append(this.#max);
    host.replaceChildren(root);
    this.#draw();
  }

  push(received: number, sent: number): void {
    this.#received.push(received);
    this.#sent.push(sent);
    this.#received.shift();
    this.#sent.shift();
    this.#draw();
  }

  #draw(): void {
    const max = Math.max(1, ...this.#received, ...this.#sent);
    this.#max.textContent = `${max.toFixed(max < 10 ? 1 : 0)} pkt/s`;
    const points = (values: number[]): string =>
      values
        .map((v, i) => `${((i * W) / (POINTS - 1)).toFixed(1)},${(H - 2 - (v / max) * (H - 16)).toFixed(1)}`)
        .join(' ');
    this.#lines[0].setAttribute('points', points(this.#received));
    this.#lines[1].setAttribute('points', points(this.#sent));
  }
}
