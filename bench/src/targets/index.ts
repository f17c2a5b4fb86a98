/** Starting a target by name, and opening lean clients to it from an Endpoint. */
import { natterBEnv, natterConnect, NatterTarget } from './natter.js';
import { mqttConnect, MosquittoTarget, socketIoConnect, startSocketIo, startWsFloor, startWsFloorAcks, wsFloorConnect } from './peers.js';
import type { Connect, Endpoint, RunningTarget, TargetName } from './target.js';

export function startTarget(name: TargetName): Promise<RunningTarget> {
  switch (name) {
    case 'natter':
      return NatterTarget.start();
    case 'natter-b':
      return NatterTarget.start(natterBEnv, 'natter-b');
    case 'natter-cluster':
      return NatterTarget.startCluster();
    case 'socketio':
      return startSocketIo();
    case 'mosquitto':
      return MosquittoTarget.start();
    case 'ws-floor':
      return startWsFloor();
    case 'ws-floor-acks':
      return startWsFloorAcks();
  }
}

export function connectorFor(e: Endpoint): Connect {
  switch (e.target) {
    case 'natter':
    case 'natter-b':
    case 'natter-cluster':
      return natterConnect(e);
    case 'socketio':
      return socketIoConnect(e);
    case 'mosquitto':
      return mqttConnect(e);
    case 'ws-floor':
      return wsFloorConnect(e);
    case 'ws-floor-acks':
      return wsFloorConnect(e, true);
  }
}
