// An in-memory Docker Engine for tests that run without Docker: containers with names, labels
// and states, 409 on a name in use, and faults to inject (no answer; a create that succeeds
// but whose reply is lost).

import { EngineError, type CreateBody, type Engine, type EngineContainer, type EngineInfo, type InspectedContainer } from '../../real-driver/engine.ts';

interface Fake {
  id: string;
  name: string;
  labels: Record<string, string>;
  state: string;
  status: string;
  created: number;
  body: CreateBody;
}

export class FakeEngine implements Engine {
  readonly containers = new Map<string, Fake>();
  /** When true, every call fails as an engine that does not answer. */
  down = false;
  /** Creates to complete and then report as failed (a lost reply). */
  loseCreateReplies = 0;
  images = new Set<string>();
  private next = 0;

  constructor(private readonly cpus = 2, private readonly memoryBytes = 4 << 30, images: readonly string[] = []) {
    for (const i of images) this.images.add(i);
  }

  private check(): void {
    if (this.down) throw new EngineError(0, 'ECONNREFUSED (fake engine down)');
  }

  async ping(): Promise<string> { this.check(); return '1.41'; }
  async info(): Promise<EngineInfo> { this.check(); return { cpus: this.cpus, memoryBytes: this.memoryBytes, name: 'fake', serverVersion: 'fake' }; }

  async listContainers(labels: readonly string[]): Promise<EngineContainer[]> {
    this.check();
    return [...this.containers.values()].filter((c) => labels.every((l) => {
      const [k, v] = l.split('=', 2) as [string, string | undefined];
      return v === undefined ? k in c.labels : c.labels[k] === v;
    })).map((c) => ({ id: c.id, name: c.name, state: c.state, status: c.status, labels: c.labels, created: c.created, image: c.body.Image }));
  }

  async inspectContainer(idOrName: string): Promise<InspectedContainer | undefined> {
    this.check();
    const c = this.find(idOrName);
    if (!c) return undefined;
    return {
      id: c.id, name: c.name, labels: c.labels, state: c.state, running: c.state === 'running', exitCode: 0, startedAt: '', finishedAt: '',
      health: undefined, restartPolicy: c.body.HostConfig.RestartPolicy.Name, nanoCpus: c.body.HostConfig.NanoCpus,
      memoryBytes: c.body.HostConfig.Memory, networkMode: c.body.HostConfig.NetworkMode,
    };
  }

  async createContainer(name: string, body: CreateBody): Promise<string> {
    this.check();
    if (!this.images.has(body.Image)) throw new EngineError(404, `No such image: ${body.Image}`);
    if (this.find(name)) throw new EngineError(409, `Conflict. The container name "/${name}" is already in use`);
    const id = `fake${this.next++}`;
    this.containers.set(id, { id, name, labels: { ...body.Labels }, state: 'created', status: 'Created', created: this.next, body });
    if (this.loseCreateReplies > 0) {
      this.loseCreateReplies--;
      throw new EngineError(0, 'socket hang up (fake lost reply)');
    }
    return id;
  }

  async startContainer(id: string): Promise<void> {
    this.check();
    const c = this.find(id);
    if (!c) throw new EngineError(404, `No such container: ${id}`);
    c.state = 'running';
    c.status = 'Up 1 second';
  }

  async removeContainer(id: string): Promise<void> {
    this.check();
    const c = this.find(id);
    if (c) this.containers.delete(c.id);
  }

  /** Test hook: the container exits with this code. */
  exit(name: string, code: number): void {
    const c = this.find(name)!;
    c.state = 'exited';
    c.status = `Exited (${code}) 1 second ago`;
  }

  async imageExists(image: string): Promise<boolean> { this.check(); return this.images.has(image); }

  async events(_labels: readonly string[], _onEvent: unknown, signal: AbortSignal): Promise<void> {
    this.check();
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
  }

  async close(): Promise<void> {}

  private find(idOrName: string): Fake | undefined {
    return this.containers.get(idOrName) ?? [...this.containers.values()].find((c) => c.name === idOrName);
  }
}
