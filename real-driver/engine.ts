// What the controller needs of a Docker Engine: the subset of the Engine API it calls. The
// HTTP client (engine-client.ts) implements it against real engines; tests also use an
// in-memory fake (test/real-driver/fake-engine.ts) with injected faults.

export class EngineError extends Error {
  override readonly name = 'EngineError';
  /** The HTTP status, or 0 when the engine did not answer (refused, reset, timed out). */
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface EngineInfo {
  readonly cpus: number;
  readonly memoryBytes: number;
  readonly name: string;
  readonly serverVersion: string;
}

/** A container as the list endpoint shows it. `state`: created, running, exited, dead, … */
export interface EngineContainer {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly status: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Unix seconds. */
  readonly created: number;
  readonly image: string;
}

export interface InspectedContainer {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly state: string;
  readonly running: boolean;
  readonly exitCode: number;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** starting, healthy, unhealthy; undefined without a health check. */
  readonly health: string | undefined;
  readonly restartPolicy: string;
  readonly nanoCpus: number;
  readonly memoryBytes: number;
  readonly networkMode: string;
}

export interface EngineEvent {
  readonly action: string;
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/** The body of POST /containers/create, the fields berth sets. */
export interface CreateBody {
  readonly Image: string;
  readonly Cmd?: readonly string[];
  readonly Env?: readonly string[];
  readonly Labels: Readonly<Record<string, string>>;
  readonly Healthcheck?: {
    readonly Test: readonly string[];
    readonly Interval: number;
    readonly Timeout: number;
    readonly Retries: number;
    readonly StartPeriod: number;
  };
  readonly HostConfig: {
    readonly NanoCpus: number;
    readonly Memory: number;
    readonly NetworkMode: string;
    readonly RestartPolicy: { readonly Name: 'no' };
  };
}

export interface Engine {
  /** Liveness and API version negotiation; throws EngineError when the engine does not answer. */
  ping(timeoutMs?: number): Promise<string>;
  info(): Promise<EngineInfo>;
  /** Every container (any state) carrying all of the labels (`key` or `key=value`). */
  listContainers(labels: readonly string[]): Promise<EngineContainer[]>;
  inspectContainer(idOrName: string): Promise<InspectedContainer | undefined>;
  /** Creates a container named `name`; a name in use throws EngineError 409. */
  createContainer(name: string, body: CreateBody): Promise<string>;
  /** Starts it; already running is success. */
  startContainer(id: string): Promise<void>;
  /** Force-removes it; already gone is success. */
  removeContainer(id: string): Promise<void>;
  imageExists(image: string): Promise<boolean>;
  /** Streams container events until the signal aborts; a hint only (events can be lost). */
  events(labels: readonly string[], onEvent: (e: EngineEvent) => void, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}
