// A thin typed client of the Docker Engine HTTP API over undici: one connection pool per engine
// (unix socket, or TCP with or without TLS client certificates), a timeout on every call, the
// API version negotiated through /_ping, and the few endpoints the driver needs. Status codes
// that mean "already so" (304 on start, 404 on remove) are success here, so callers are
// idempotent by construction. Why undici and not dockerode: see real-driver/README.md.

import { readFileSync } from 'node:fs';
import { Pool, type Dispatcher } from 'undici';
import type { Readable } from 'node:stream';
import type { Engine, EngineContainer, EngineEvent, CreateBody, EngineInfo, InspectedContainer } from './engine.ts';
import { EngineError } from './engine.ts';

/** The newest API version whose fields this client knows; it uses no field newer than 1.41's. */
export const CLIENT_MAX_API = '1.47';
/** The oldest engine API it accepts (Docker 19.03). */
export const CLIENT_MIN_API = '1.40';

export interface TlsFiles {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export interface EndpointOptions {
  /** `unix:///var/run/docker.sock`, `tcp://host:port`, `http://…` or `https://…`. */
  readonly endpoint: string;
  /** Client certificate, key and CA (PEM file paths): TLS with a client certificate. */
  readonly tls?: TlsFiles;
  /** Timeout of each call, ms (default 10 s). */
  readonly timeoutMs?: number;
}

/** Parses a DOCKER_HOST-style endpoint into the pool's origin and connect options. */
export function parseEndpoint(endpoint: string, tls?: TlsFiles): { origin: string; socketPath?: string; secure: boolean } {
  const unix = /^unix:\/\/(\/.*)$/.exec(endpoint);
  if (unix) return { origin: 'http://localhost', socketPath: unix[1]!, secure: false };
  const m = /^(tcp|http|https):\/\/([^/:]+|\[[0-9a-fA-F:]+\])(?::(\d+))?\/?$/.exec(endpoint);
  if (!m) throw new Error(`expected unix:///path/to/docker.sock, tcp://host:port, http://host:port or https://host:port; got ${JSON.stringify(endpoint)}`);
  const [, scheme, host, port] = m;
  // Docker's convention: tcp:// is TLS when certificates are given (or on 2376), plain otherwise.
  const secure = scheme === 'https' || (scheme === 'tcp' && (tls !== undefined || port === '2376'));
  const defaultPort = secure ? '2376' : '2375';
  return { origin: `${secure ? 'https' : 'http'}://${host}:${port ?? defaultPort}`, secure };
}

/** The endpoint from the environment, as the docker CLI reads it (DOCKER_HOST, DOCKER_CERT_PATH). */
export function endpointFromEnv(env: NodeJS.ProcessEnv = process.env): EndpointOptions {
  const endpoint = env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  const certPath = env.DOCKER_CERT_PATH;
  const useTls = certPath !== undefined && certPath !== '' && (env.DOCKER_TLS_VERIFY ?? '') !== '';
  return { endpoint, ...(useTls && { tls: { ca: `${certPath}/ca.pem`, cert: `${certPath}/cert.pem`, key: `${certPath}/key.pem` } }) };
}

export class EngineClient implements Engine {
  private readonly pool: Pool;
  private readonly timeoutMs: number;
  private version: string | undefined;

  constructor(readonly endpoint: string, options: Omit<EndpointOptions, 'endpoint'> = {}) {
    const { origin, socketPath, secure } = parseEndpoint(endpoint, options.tls);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    const connect: Record<string, unknown> = { timeout: this.timeoutMs };
    if (socketPath !== undefined) connect.socketPath = socketPath;
    if (secure && options.tls) {
      connect.ca = readFileSync(options.tls.ca);
      connect.cert = readFileSync(options.tls.cert);
      connect.key = readFileSync(options.tls.key);
    }
    this.pool = new Pool(origin, { connect, connections: 16, keepAliveTimeout: 4_000 });
  }

  /** The API version in use ("1.41"), once negotiated. */
  get apiVersion(): string | undefined {
    return this.version;
  }

  /** GET /_ping: liveness, and the API version both sides speak (the lower of the two maxima). */
  async ping(timeoutMs = this.timeoutMs): Promise<string> {
    const res = await this.call('GET', '/_ping', { timeoutMs, versioned: false });
    const header = res.headers['api-version'];
    const engineMax = typeof header === 'string' ? header : '1.24';
    if (compareVersions(engineMax, CLIENT_MIN_API) < 0) {
      throw new EngineError(0, `the engine speaks API ${engineMax}; berth needs ${CLIENT_MIN_API} or later (Docker 19.03+)`);
    }
    this.version = compareVersions(engineMax, CLIENT_MAX_API) < 0 ? engineMax : CLIENT_MAX_API;
    return this.version;
  }

  async info(): Promise<EngineInfo> {
    const body = (await this.json('GET', '/info')) as { NCPU: number; MemTotal: number; Name: string; ServerVersion: string };
    return { cpus: body.NCPU, memoryBytes: body.MemTotal, name: body.Name, serverVersion: body.ServerVersion };
  }

  async listContainers(labels: readonly string[]): Promise<EngineContainer[]> {
    const filters = encodeURIComponent(JSON.stringify({ label: labels }));
    const list = (await this.json('GET', `/containers/json?all=true&filters=${filters}`)) as {
      Id: string; Names: string[]; State: string; Status: string; Labels: Record<string, string> | null; Created: number; Image: string;
    }[];
    return list.map((c) => ({
      id: c.Id, name: (c.Names[0] ?? '').replace(/^\//, ''), state: c.State, status: c.Status, labels: c.Labels ?? {}, created: c.Created, image: c.Image,
    }));
  }

  async inspectContainer(idOrName: string): Promise<InspectedContainer | undefined> {
    const res = await this.call('GET', `/containers/${encodeURIComponent(idOrName)}/json`, { okStatus: [404] });
    if (res.statusCode === 404) { await res.body.dump(); return undefined; }
    const c = (await res.body.json()) as {
      Id: string; Name: string; Config: { Labels: Record<string, string> | null };
      State: { Status: string; Running: boolean; ExitCode: number; StartedAt: string; FinishedAt: string; Health?: { Status: string } };
      HostConfig: { RestartPolicy?: { Name: string }; NanoCpus: number; Memory: number; NetworkMode: string };
    };
    return {
      id: c.Id, name: c.Name.replace(/^\//, ''), labels: c.Config.Labels ?? {}, state: c.State.Status, running: c.State.Running,
      exitCode: c.State.ExitCode, startedAt: c.State.StartedAt, finishedAt: c.State.FinishedAt,
      health: c.State.Health?.Status, restartPolicy: c.HostConfig.RestartPolicy?.Name ?? '',
      nanoCpus: c.HostConfig.NanoCpus, memoryBytes: c.HostConfig.Memory, networkMode: c.HostConfig.NetworkMode,
    };
  }

  /** POST /containers/create?name=…: the new container's id. A 409 (name in use) throws EngineError 409. */
  async createContainer(name: string, body: CreateBody): Promise<string> {
    const res = (await this.json('POST', `/containers/create?name=${encodeURIComponent(name)}`, body)) as { Id: string };
    return res.Id;
  }

  async startContainer(id: string): Promise<void> {
    // 304: already started.
    const res = await this.call('POST', `/containers/${encodeURIComponent(id)}/start`, { okStatus: [304] });
    await res.body.dump();
  }

  async removeContainer(id: string): Promise<void> {
    // 404: already gone. force: a running container is killed first.
    const res = await this.call('DELETE', `/containers/${encodeURIComponent(id)}?force=true&v=true`, { okStatus: [404] });
    await res.body.dump();
  }

  async imageExists(image: string): Promise<boolean> {
    const res = await this.call('GET', `/images/${encodeURIComponent(image)}/json`, { okStatus: [404] });
    await res.body.dump();
    return res.statusCode === 200;
  }

  /** POST /images/create?fromSrc=-: imports a root filesystem tarball as `repo:tag`. */
  async importImage(tar: Readable, repo: string, tag = 'latest'): Promise<void> {
    const res = await this.call('POST', `/images/create?fromSrc=-&repo=${encodeURIComponent(repo)}&tag=${encodeURIComponent(tag)}`, {
      body: tar, headers: { 'content-type': 'application/x-tar' }, timeoutMs: Math.max(this.timeoutMs, 120_000),
    });
    // Errors can arrive inside a 200 stream.
    const text = await res.body.text();
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      const msg = JSON.parse(line) as { error?: string };
      if (msg.error) throw new EngineError(500, msg.error);
    }
  }

  /**
   * Streams events until `signal` aborts or the stream ends (the promise then resolves; errors
   * reject). No body timeout: an idle stream is normal. Lines are split here: a chunk may hold
   * several events or half of one.
   */
  async events(labels: readonly string[], onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<void> {
    const filters = encodeURIComponent(JSON.stringify({ type: ['container'], label: labels }));
    const res = await this.call('GET', `/events?filters=${filters}`, { stream: true, signal });
    let rest = '';
    for await (const chunk of res.body) {
      rest += (chunk as Buffer).toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const line = rest.slice(0, nl);
        rest = rest.slice(nl + 1);
        if (line.trim() === '') continue;
        const e = JSON.parse(line) as { Action: string; Actor?: { ID: string; Attributes?: Record<string, string> } };
        onEvent({ action: e.Action, id: e.Actor?.ID ?? '', attributes: e.Actor?.Attributes ?? {} });
      }
    }
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  private async json(method: Dispatcher.HttpMethod, path: string, body?: unknown): Promise<unknown> {
    const res = await this.call(method, path, body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
    return res.body.json();
  }

  private async call(method: Dispatcher.HttpMethod, path: string, opts: {
    body?: string | Readable; headers?: Record<string, string>; okStatus?: number[]; timeoutMs?: number;
    versioned?: boolean; stream?: boolean; signal?: AbortSignal;
  }): Promise<Dispatcher.ResponseData> {
    if (opts.versioned !== false && this.version === undefined) await this.ping();
    const prefix = opts.versioned === false ? '' : `/v${this.version}`;
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const signal = opts.signal ?? AbortSignal.timeout(timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method, path: prefix + path, signal, headersTimeout: timeoutMs, bodyTimeout: opts.stream ? 0 : timeoutMs,
        ...(opts.body !== undefined && { body: opts.body }), ...(opts.headers && { headers: opts.headers }),
      });
    } catch (err) {
      throw new EngineError(0, describeNetworkError(err, timeoutMs));
    }
    if (res.statusCode >= 200 && res.statusCode < 300) return res;
    if (opts.okStatus?.includes(res.statusCode)) return res;
    let message = '';
    try {
      const text = await res.body.text();
      message = (JSON.parse(text) as { message?: string }).message ?? text;
    } catch {
      message = `HTTP ${res.statusCode}`;
    }
    throw new EngineError(res.statusCode, message.trim());
  }
}

function describeNetworkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; code?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_CONNECT_TIMEOUT' ||
      e.code === 'UND_ERR_BODY_TIMEOUT') {
    return `no answer within ${timeoutMs / 1000} s`;
  }
  const code = e.cause?.code ?? e.code;
  return code ? `${code} ${e.cause?.message ?? e.message ?? ''}`.trim() : (e.message ?? String(err));
}

/** Compares dotted versions numerically ("1.9" < "1.41"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number), pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}
