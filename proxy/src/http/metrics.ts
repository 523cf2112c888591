// Prometheus counters in kamal-proxy's names, rendered in the text exposition format.

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "CONNECT", "OPTIONS", "TRACE"]);

interface Histogram {
  counts: number[];
  sum: number;
  count: number;
}

/** A thread's counters, sent to the main thread so /metrics covers worker threads too. */
export interface MetricsData {
  requests: Array<[string, number]>;
  durations: Array<[string, Histogram]>;
  inflight: Array<[string, number]>;
}

export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly durations = new Map<string, Histogram>();
  private readonly inflight = new Map<string, number>();

  started(service: string): void {
    this.inflight.set(service, (this.inflight.get(service) ?? 0) + 1);
  }

  finished(service: string, method: string, status: number, seconds: number): void {
    this.inflight.set(service, (this.inflight.get(service) ?? 1) - 1);
    const normalized = METHODS.has(method) ? method : "OTHER";
    const key = `service="${escape(service)}",method="${normalized}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const durationKey = `service="${escape(service)}",method="${normalized}"`;
    let histogram = this.durations.get(durationKey);
    if (histogram === undefined) {
      histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.durations.set(durationKey, histogram);
    }
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) histogram.counts[i]!++;
    histogram.sum += seconds;
    histogram.count++;
  }

  export(): MetricsData {
    return { requests: [...this.requests], durations: [...this.durations], inflight: [...this.inflight] };
  }

  /** This thread's counters plus those reported by worker threads. */
  render(others: readonly MetricsData[] = []): string {
    const merged = new Metrics();
    for (const data of [this.export(), ...others]) merged.add(data);
    return merged.renderOwn();
  }

  private add(data: MetricsData): void {
    for (const [key, value] of data.requests) this.requests.set(key, (this.requests.get(key) ?? 0) + value);
    for (const [key, value] of data.inflight) this.inflight.set(key, (this.inflight.get(key) ?? 0) + value);
    for (const [key, histogram] of data.durations) {
      const mine = this.durations.get(key);
      if (mine === undefined) this.durations.set(key, { counts: [...histogram.counts], sum: histogram.sum, count: histogram.count });
      else {
        histogram.counts.forEach((count, index) => (mine.counts[index]! += count));
        mine.sum += histogram.sum;
        mine.count += histogram.count;
      }
    }
  }

  private renderOwn(): string {
    let out = "# HELP kamal_proxy_http_requests_total Total number of HTTP requests\n# TYPE kamal_proxy_http_requests_total counter\n";
    for (const [key, value] of this.requests) out += `kamal_proxy_http_requests_total{${key}} ${value}\n`;
    out += "# HELP kamal_proxy_http_request_duration_seconds Duration of HTTP requests\n# TYPE kamal_proxy_http_request_duration_seconds histogram\n";
    for (const [key, histogram] of this.durations) {
      BUCKETS.forEach((bucket, index) => {
        out += `kamal_proxy_http_request_duration_seconds_bucket{${key},le="${bucket}"} ${histogram.counts[index]}\n`;
      });
      out += `kamal_proxy_http_request_duration_seconds_bucket{${key},le="+Inf"} ${histogram.count}\n`;
      out += `kamal_proxy_http_request_duration_seconds_sum{${key}} ${histogram.sum}\n`;
      out += `kamal_proxy_http_request_duration_seconds_count{${key}} ${histogram.count}\n`;
    }
    out += "# HELP kamal_proxy_http_in_flight_requests Number of in-flight HTTP requests\n# TYPE kamal_proxy_http_in_flight_requests gauge\n";
    for (const [service, value] of this.inflight) out += `kamal_proxy_http_in_flight_requests{service="${escape(service)}"} ${value}\n`;
    return out;
  }
}

function escape(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === "\n" ? "\\n" : `\\${ch}`));
}
