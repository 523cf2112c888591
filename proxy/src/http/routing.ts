// What happens to a request before it reaches a target, in kamal-proxy's order: ACME HTTP-01
// answers, the service for its host and path (404 without one), the HTTPS and canonical-host
// redirects, TLS-only services refusing plain requests, health checks answered while paused,
// the pause itself (held, 503 when stopped, 504 when the pause outlasts its limit), then the
// load balancer's pick (503 when no target is healthy, after a wait for targets restored at start).
import { WRITER_COOKIE } from "../server/load-balancer.js";
import type { WaitOutcome } from "../server/pause.js";
import { ROLLOUT_COOKIE } from "../server/rollout.js";
import type { Exchange } from "./exchange.js";
import { getHeader } from "./head.js";
import { NO_HEADERS, redirectReply } from "./replies.js";

const ACME_PREFIX = "/.well-known/acme-challenge/";

export function routeExchange(x: Exchange): void {
  // HTTP-01 answers come before redirects, on port 80 and also on 443 (CDNs that force HTTPS).
  const httpChallenge = x.ctx.httpChallenge;
  if (httpChallenge !== null && x.path.startsWith(ACME_PREFIX)) {
    httpChallenge(x.host, x.path.slice(ACME_PREFIX.length), (answer) => {
      if (x.finished) return;
      if (answer !== undefined) x.reply({ status: 200, contentType: "text/plain", body: answer, headers: NO_HEADERS });
      else routeToService(x);
    });
    return;
  }
  routeToService(x);
}

function routeToService(x: Exchange): void {
  const head = x.head;
  const secure = x.conn.secure;
  const route = x.ctx.router.map.lookup(x.host, x.path);
  if (route === null) {
    x.replyError(404, "");
    return;
  }
  x.route = route;
  const service = route.service;
  x.service = service;
  x.ctx.metrics?.started(service.name);

  const canonical = service.options.canonicalHost;
  if (route.tlsEnabled && route.tlsRedirect && !secure) {
    const port = x.ctx.httpsPort === 443 ? "" : `:${x.ctx.httpsPort}`;
    redirect(x, `https://${canonical !== "" ? canonical : x.host}${port}${head.target}`);
    return;
  }
  if (canonical !== "" && x.host !== canonical) {
    const scheme = secure ? "https" : "http";
    const authority = head.host.includes(":") && !secure ? canonical + head.host.slice(head.host.lastIndexOf(":")) : canonical;
    redirect(x, `${scheme}://${authority}${head.target}`);
    return;
  }
  if (!route.tlsEnabled && secure) {
    x.replyError(503, "");
    return;
  }

  const pause = service.pause;
  if (pause.state !== "running" && service.isHealthCheckPath(head.method, x.path)) {
    x.reply({ status: 200, contentType: "", body: "", headers: NO_HEADERS });
    return;
  }
  const outcome = pause.check();
  if (outcome === null) {
    x.cancelWait = pause.wait((result) => {
      x.cancelWait = null;
      afterPause(x, result);
    });
    return;
  }
  afterPause(x, outcome);
}

function redirect(x: Exchange, location: string): void {
  x.clientKeepAlive = false;
  x.reply(redirectReply(location));
}

function afterPause(x: Exchange, outcome: WaitOutcome): void {
  if (x.finished) return;
  if (outcome.action === "stopped") {
    x.replyError(503, outcome.message);
    return;
  }
  if (outcome.action === "timed_out") {
    x.replyError(504, "");
    return;
  }
  pickTarget(x);
}

function pickTarget(x: Exchange): void {
  const service = x.service!;
  const head = x.head;
  const cookies = getHeader(head, "cookie");
  const balancer = service.loadBalancerFor(
    service.rolloutController !== null && cookies !== undefined ? cookieValue(cookies, ROLLOUT_COOKIE) : undefined,
  );
  if (balancer === null) {
    x.replyError(503, "");
    return;
  }
  let writerAffinityUntil = 0;
  if (balancer.hasReaders && cookies !== undefined) writerAffinityUntil = Number(cookieValue(cookies, WRITER_COOKIE) ?? 0) || 0;
  const target = balancer.pick({ method: head.method, isUpgrade: head.upgrade !== "", writerAffinityUntil });
  if (target === null) {
    // Targets restored at start may pass their first check in a moment: wait for that, not 503.
    const cancel = balancer.waitForTarget(() => {
      x.cancelWait = null;
      if (!x.finished) pickTarget(x);
    });
    if (cancel === null) x.replyError(503, "");
    else x.cancelWait = cancel;
    return;
  }
  x.sendTo(balancer, target);
}

export function hostWithoutPort(host: string): string {
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    return close === -1 ? host : host.slice(1, close);
  }
  const colon = host.lastIndexOf(":");
  return colon === -1 ? host : host.slice(0, colon);
}

export function cookieValue(header: string, name: string): string | undefined {
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
