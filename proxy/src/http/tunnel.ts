// An upgraded connection (WebSocket): bytes both ways until either side closes or a drain
// ends it. A drain waits for tunnels; at its deadline a WebSocket gets a "going away" close.
import type { InFlight, Target } from "../server/target.js";
import type { ExchangeClient } from "./client-connection.js";
import type { Exchange } from "./exchange.js";
import type { ResponseHead } from "./head.js";
import { logRequest } from "./request-log.js";
import { switchingProtocolsHead } from "./rewrite.js";
import type { UpstreamConnection, UpstreamOwner } from "./upstream.js";

/** The target accepted the exchange's upgrade: answer 101 and relay bytes from now on. */
export function openTunnel(x: Exchange, upstream: UpstreamConnection, response: ResponseHead, rest: Buffer | null): void {
  const client = x.conn.socket;
  client.write(switchingProtocolsHead(response), "latin1");
  if (rest !== null) client.write(rest);
  const tunnel = new Tunnel(x.conn, upstream, x.target!, x.head.upgrade.toLowerCase() === "websocket", () => logRequest(x, 101));
  x.handedToTunnel();
  x.conn.upgraded(tunnel);
  upstream.owner = tunnel;
  for (const piece of x.body?.takeQueue() ?? []) tunnel.fromClient(piece);
  const early = x.conn.takePending();
  if (early !== null) tunnel.fromClient(early);
  if (client.isPaused()) client.resume();
}

// Server-to-client close frame: FIN + opcode 8, payload = status 1001 (going away).
const WEBSOCKET_GOING_AWAY = Buffer.from([0x88, 0x02, 0x03, 0xe9]);

export class Tunnel implements UpstreamOwner, InFlight {
  private ended = false;

  constructor(
    private readonly conn: ExchangeClient,
    private readonly upstream: UpstreamConnection,
    private readonly target: Target,
    private readonly websocket: boolean,
    private readonly onEnd: () => void,
  ) {
    target.beginTunnel(this);
  }

  fromClient(chunk: Buffer): void {
    if (!this.upstream.write(chunk)) this.conn.socket.pause();
  }

  onUpstreamData(data: Buffer): void {
    if (!this.conn.socket.write(Buffer.from(data))) this.upstream.socket.pause();
  }

  onUpstreamDrain(): void {
    if (this.conn.socket.isPaused()) this.conn.socket.resume();
  }

  onClientDrain(): void {
    if (this.upstream.socket.isPaused()) this.upstream.socket.resume();
  }

  onUpstreamClose(): void {
    this.end();
    this.conn.close();
  }

  onClientClose(): void {
    this.end();
    this.upstream.destroy();
  }

  /** Drain deadline reached: close both sides (a WebSocket gets a 1001 "going away" close frame first). */
  abortForDrain(): void {
    if (this.ended) return;
    if (this.websocket) this.conn.socket.write(WEBSOCKET_GOING_AWAY);
    this.end();
    this.upstream.destroy();
    this.conn.close();
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.target.endTunnel(this);
    this.onEnd();
  }
}
