/** The dashboard page: live through the WebSocket API, statistics from the HTTP control channel. */
import type { ServerMessage } from '../../control/websocket/protocol.ts';
import { byId } from './dom.ts';
import { LeasesView } from './leases.ts';
import { OptionsForm } from './options-form.ts';
import { RunningSwitch } from './running.ts';
import { ApiSocket, apiUrl } from './socket.ts';
import { StatsView } from './stats.ts';
import { StoreHealthView } from './store-health.ts';

const leases = new LeasesView(
  byId<HTMLTableSectionElement>('leases-body'),
  byId('leases-summary'),
  byId<HTMLInputElement>('leases-search'),
  byId<HTMLSelectElement>('leases-class'),
);
const connection = byId('connection');
const notice = byId('notice');

const socket = new ApiSocket(apiUrl(), onMessage, (status) => {
  connection.textContent = { connecting: 'connecting…', live: 'live', offline: 'offline, reconnecting…' }[
    status
  ];
  connection.dataset['status'] = status;
});
const running = new RunningSwitch(byId<HTMLButtonElement>('running-switch'), byId('running-label'), socket);
const form = new OptionsForm(byId<HTMLFormElement>('options-form'), byId('options-status'), socket);
new StatsView(byId('counters'), byId('pools'), byId('chart'), byId('stats-status'));
new StoreHealthView(byId('store-health'));

function onMessage(m: ServerMessage): void {
  switch (m.event) {
    case 'state':
      running.set(m.body.running);
      form.fill(m.body.options);
      leases.update(m.body.clients);
      break;
    case 'clients':
      leases.update(m.body);
      break;
    case 'running':
      running.set(m.body);
      break;
    case 'options':
      if (typeof m.body === 'string') form.outcome(m.body, 'errors' in m ? m.errors : undefined);
      else form.fill(m.body);
      break;
    case 'error':
      notice.textContent = `${m.body.code}: ${m.body.message}`;
      break;
    case 'start':
    case 'stop':
      break;
  }
}
