// `proxy:` at the root, under a role (merged over the root one) or under an accessory.
import { bool, documented, int, list, oneOf, section, str, anyHash } from "./meta.js";
import {
  DEFAULT_APP_PORT,
  DEFAULT_BUFFERING,
  DEFAULT_HEALTHCHECK_INTERVAL,
  DEFAULT_HEALTHCHECK_PATH,
  DEFAULT_HEALTHCHECK_TIMEOUT,
  DEFAULT_LOG_REQUEST_HEADERS,
  DEFAULT_PROXY_HTTPS_PORT,
  DEFAULT_PROXY_HTTP_PORT,
  DEFAULT_PROXY_LOG_MAX_SIZE,
  DEFAULT_PROXY_REPOSITORY,
  DEFAULT_PROXY_VERSION,
} from "../proxy-defaults.js";

const proxyRunSchema = documented(
  section({
    http_port: documented(int(), {
      title: "HTTP port",
      description: "Host port the proxy listens on for HTTP.",
      examples: ["http_port: 8080"],
      default: DEFAULT_PROXY_HTTP_PORT,
    }).optional(),
    https_port: documented(int(), {
      title: "HTTPS port",
      description: "Host port the proxy listens on for HTTPS.",
      examples: ["https_port: 8443"],
      default: DEFAULT_PROXY_HTTPS_PORT,
    }).optional(),
    publish: documented(bool(), {
      title: "Publish ports",
      description:
        "Whether the proxy container publishes its ports on the host. With `false`, no ports or bind IPs may be set; put something else in front of it.",
      examples: ["publish: false"],
      default: true,
    }).optional(),
    bind_ips: documented(list(str()), {
      title: "Bind IPs",
      description: "Host addresses the published ports bind to (all addresses when unset).",
      examples: ["bind_ips:\n  - 127.0.0.1\n  - \"::1\""],
    }).optional(),
    metrics_port: documented(int(), {
      title: "Metrics port",
      description: "Serve Prometheus metrics on this container port (it is also exposed).",
      examples: ["metrics_port: 9090"],
    }).optional(),
    debug: documented(bool(), {
      title: "Debug logging",
      description: "Run the proxy with debug logging.",
      examples: ["debug: true"],
      default: false,
    }).optional(),
    log_max_size: documented(str(), {
      title: "Log size limit",
      description: "The proxy container's `max-size` log option.",
      examples: ['log_max_size: "50m"'],
      default: DEFAULT_PROXY_LOG_MAX_SIZE,
    }).optional(),
    registry: documented(str(), {
      title: "Proxy image registry",
      description: "Registry to pull the proxy image from (Docker Hub when unset).",
      examples: ["registry: registry.example.com:5000"],
    }).optional(),
    repository: documented(str(), {
      title: "Proxy image repository",
      description: "The proxy image's name, without registry or tag.",
      examples: ["repository: myorg/kamal-proxy"],
      default: DEFAULT_PROXY_REPOSITORY,
    }).optional(),
    version: documented(str(), {
      title: "Proxy image version",
      description: "The image tag; must be at least the minimum version the deploy commands need.",
      examples: [`version: ${DEFAULT_PROXY_VERSION}`],
      default: DEFAULT_PROXY_VERSION,
    }).optional(),
    options: documented(anyHash(), {
      title: "Docker options",
      description: "Extra `docker run` options for the proxy container, as `--key value`.",
      examples: ["options:\n  memory: 512m"],
    }).optional(),
  }),
  {
    title: "Proxy container",
    description:
      "How the proxy container itself is run. Every role and accessory that shares a host must use the same settings here, since they share one proxy.",
    examples: ["run:\n  http_port: 8080\n  https_port: 8443\n  bind_ips:\n    - 127.0.0.1"],
  },
);

const sslCertificateSchema = section({
  certificate_pem: documented(str(), {
    title: "Certificate secret",
    description: "Name of the secret holding the PEM certificate chain.",
    examples: ["certificate_pem: CERTIFICATE_PEM"],
  }).optional(),
  private_key_pem: documented(str(), {
    title: "Private key secret",
    description: "Name of the secret holding the PEM private key.",
    examples: ["private_key_pem: PRIVATE_KEY_PEM"],
  }).optional(),
});

export const proxySchema = documented(
  section({
    host: documented(str(), {
      title: "Host",
      description:
        "The host name(s) the proxy routes to this app, comma-separated. Without a host every request that no other app on the server claims is routed here. Set `host` or `hosts`, not both.",
      examples: ["host: app.example.com"],
    }).optional(),
    hosts: documented(list(str()), {
      title: "Hosts",
      description: "The host names the proxy routes to this app, as a list.",
      examples: ["hosts:\n  - app.example.com\n  - www.example.com"],
    }).optional(),
    app_port: documented(int(), {
      title: "App port",
      description: "The port the app listens on inside its container.",
      examples: ["app_port: 3000"],
      default: DEFAULT_APP_PORT,
    }).optional(),
    ssl: documented(oneOf([bool(), sslCertificateSchema]), {
      title: "SSL",
      description:
        "`true` gets a certificate from Let's Encrypt automatically (needs a host and a single server). A map names secrets holding your own certificate and key instead, which also works across several servers.",
      examples: ["ssl: true", "ssl:\n  certificate_pem: CERTIFICATE_PEM\n  private_key_pem: PRIVATE_KEY_PEM"],
      default: false,
    }).optional(),
    ssl_redirect: documented(bool(), {
      title: "SSL redirect",
      description: "With SSL on, plain HTTP requests are redirected to HTTPS unless this is `false`.",
      examples: ["ssl_redirect: false"],
    }).optional(),
    forward_headers: documented(bool(), {
      title: "Forward headers",
      description:
        "Pass `X-Forwarded-For` and `X-Forwarded-Proto` through to the app. By default they are forwarded only when SSL is off.",
      examples: ["forward_headers: true"],
    }).optional(),
    response_timeout: documented(int(), {
      title: "Response timeout",
      description: "Seconds a request may take before the proxy gives up on it (the proxy's default is 30).",
      examples: ["response_timeout: 10"],
    }).optional(),
    path_prefix: documented(str(), {
      title: "Path prefix",
      description: "Route only requests under these path prefixes (comma-separated) to this app.",
      examples: ["path_prefix: /api"],
    }).optional(),
    path_prefixes: documented(list(str()), {
      title: "Path prefixes",
      description: "Route only requests under these path prefixes, as a list.",
      examples: ["path_prefixes:\n  - /api\n  - /oauth"],
    }).optional(),
    strip_path_prefix: documented(bool(), {
      title: "Strip path prefix",
      description: "The prefix is removed before the request reaches the app unless this is `false`.",
      examples: ["strip_path_prefix: false"],
    }).optional(),
    healthcheck: documented(
      section({
        path: documented(str(), { title: "Path", description: "Requested until it answers 200.", examples: ["path: /health"], default: DEFAULT_HEALTHCHECK_PATH }).optional(),
        interval: documented(int(), { title: "Interval", description: "Seconds between checks.", examples: ["interval: 3"], default: DEFAULT_HEALTHCHECK_INTERVAL }).optional(),
        timeout: documented(int(), { title: "Timeout", description: "Seconds each check may take.", examples: ["timeout: 3"], default: DEFAULT_HEALTHCHECK_TIMEOUT }).optional(),
      }),
      {
        title: "Healthcheck",
        description:
          "While deploying, the proxy polls the new container until it is healthy or the deploy timeout passes, and only then switches traffic to it.",
        examples: ["healthcheck:\n  path: /health\n  interval: 3\n  timeout: 3"],
      },
    ).optional(),
    buffering: documented(
      section({
        requests: documented(bool(), { title: "Buffer requests", description: "Read whole request bodies before passing them on.", examples: ["requests: true"], default: DEFAULT_BUFFERING }).optional(),
        responses: documented(bool(), { title: "Buffer responses", description: "Read whole response bodies before sending them.", examples: ["responses: true"], default: DEFAULT_BUFFERING }).optional(),
        max_request_body: documented(int(), { title: "Largest request body", description: "In bytes; 0 for no limit.", examples: ["max_request_body: 40_000_000"] }).optional(),
        max_response_body: documented(int(), { title: "Largest response body", description: "In bytes; 0 for no limit.", examples: ["max_response_body: 0"] }).optional(),
        memory: documented(int(), { title: "Memory buffer", description: "Bytes kept in memory before buffering spills to disk.", examples: ["memory: 2_000_000"] }).optional(),
      }),
      {
        title: "Buffering",
        description: "Whether the proxy buffers request and response bodies, and the size limits that apply.",
        examples: ["buffering:\n  requests: true\n  responses: true\n  max_request_body: 40_000_000\n  max_response_body: 0\n  memory: 2_000_000"],
      },
    ).optional(),
    logging: documented(
      section({
        request_headers: documented(list(str()), {
          title: "Request headers",
          description: "Request headers written to the access log.",
          examples: ["request_headers:\n  - Cache-Control\n  - X-Forwarded-Proto"],
          default: DEFAULT_LOG_REQUEST_HEADERS,
        }).optional(),
        response_headers: documented(list(str()), {
          title: "Response headers",
          description: "Response headers written to the access log.",
          examples: ["response_headers:\n  - X-Request-ID"],
        }).optional(),
      }),
      {
        title: "Request logging",
        description: "Extra request and response headers to include in the proxy's access log.",
        examples: ["logging:\n  request_headers:\n    - Cache-Control\n  response_headers:\n    - X-Request-ID"],
      },
    ).optional(),
    run: proxyRunSchema.optional(),
  }),
  {
    title: "Proxy",
    description:
      "Routing for the app through the proxy that runs on ports 80/443 of each host and switches traffic to new containers without dropping requests. These settings belong to the app, so several apps can share one proxy.",
    section: "proxy",
  },
  { id: "proxy" },
);

/** Under a role: `true`/`false` switches the proxy on or off, a map is merged over the root proxy. */
export const roleProxySchema = documented(oneOf([bool(), proxySchema]), {
  title: "Proxy",
  description:
    "The primary role is proxied unless this is `false`; other roles only with `true` or a map, which is merged over the root `proxy`.",
  examples: ["proxy: false", "proxy:\n  app_port: 4000"],
});
