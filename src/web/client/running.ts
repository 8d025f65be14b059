import type { ApiSocket } from './socket.ts';

/** The serving switch: shows `running`, sends `start` / `stop`. */
export class RunningSwitch {
  #running: boolean | undefined;

  private readonly button: HTMLButtonElement;
  private readonly label: HTMLElement;
  constructor(button: HTMLButtonElement, label: HTMLElement, socket: ApiSocket) {
    this.button = button;
    this.label = label;
    button.addEventListener('click', () => {
      if (this.#running === undefined) return;
      button.disabled = true;
      if (!socket.send(this.#running ? 'stop' : 'start')) button.disabled = false;
    });
  }

  set(running: boolean): void {
    this.#running = running;
    this.button.disabled = false;
    this.button.setAttribute('aria-checked', String(running));
    this.label.textContent = running ? 'Serving' : 'Stopped';
    document.body.dataset['running'] = String(running);
  }
}
