// The inventory, hosts.yaml: the real hosts, each a Docker Engine, in the order the scheduler
// sees them (the order of the file, as a cluster file's nodes).
//
//   hosts:
//     - name: a
//       endpoint: tcp://10.0.0.5:2376            # or unix:///var/run/docker.sock, tcp://h:2375
//       tls: {ca: certs/ca.pem, cert: certs/cert.pem, key: certs/key.pem}   # relative to this file
//       capacity: {cpu: 2, memory: 4, gpu: 0}   # cores, GiB, GPUs; default: what the engine reports
//       labels: {zone: a}
//       cordon: false                           # true: no new placements on this host

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { InputError, quote } from '../sim/errors.ts';
import { YamlInput } from '../sim/yaml-input.ts';
import { parseEndpoint, type TlsFiles } from './engine-client.ts';

export interface HostSpec {
  readonly name: string;
  readonly endpoint: string;
  readonly tls?: TlsFiles;
  /** Overrides of what the engine reports, in file units (cores, GiB, GPUs). */
  readonly capacity?: { readonly cpu?: number; readonly memory?: number; readonly gpu?: number };
  readonly labels: Readonly<Record<string, string>>;
  readonly cordon: boolean;
}

const TOP = ['hosts'] as const;
const HOST = ['name', 'endpoint', 'tls', 'capacity', 'labels', 'cordon'] as const;
const TLS = ['ca', 'cert', 'key'] as const;
const CAPACITY = ['cpu', 'memory', 'gpu'] as const;
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function parseHostsFile(text: string, file: string): HostSpec[] {
  const input = YamlInput.parse(text, file);
  if (input.value === null || input.value === undefined) throw input.error([], 'the file is empty: expected `hosts:` and a list of hosts');
  const top = input.object([], input.value, TOP);
  if (top.hosts === undefined) throw input.error(['hosts'], 'missing: expected a list of hosts, each with a name and an endpoint');
  const list = input.array(['hosts'], top.hosts, 'hosts');
  if (list.length === 0) throw input.error(['hosts'], 'the list is empty: expected at least one host');
  const seen = new Map<string, number>();
  return list.map((raw, i) => {
    const at = (...p: (string | number)[]) => ['hosts', i, ...p];
    const h = input.object(at(), raw, HOST);
    if (h.name === undefined) throw input.error(at('name'), 'missing: every host needs a name');
    if (h.endpoint === undefined) throw input.error(at('endpoint'), 'missing: every host needs an endpoint such as tcp://10.0.0.5:2376 or unix:///var/run/docker.sock');
    const name = input.string(at('name'), h.name);
    if (!NAME_PATTERN.test(name)) throw input.error(at('name'), `expected letters, digits, '_', '.' or '-' (not first); got ${quote(name)}`);
    const other = seen.get(name);
    if (other !== undefined) throw input.error(at('name'), `${quote(name)} is also the name of hosts[${other}]`);
    seen.set(name, i);
    let tls: TlsFiles | undefined;
    if (h.tls !== undefined) {
      const t = input.object(at('tls'), h.tls, TLS);
      const path = (k: (typeof TLS)[number]) => {
        if (t[k] === undefined) throw input.error(at('tls', k), `missing: TLS needs ca, cert and key (PEM files)`);
        const p = input.string(at('tls', k), t[k]);
        const full = isAbsolute(p) ? p : resolve(dirname(file), p);
        if (!existsSync(full)) throw input.error(at('tls', k), `no such file: ${full}`);
        return full;
      };
      tls = { ca: path('ca'), cert: path('cert'), key: path('key') };
    }
    const endpoint = input.string(at('endpoint'), h.endpoint);
    try {
      parseEndpoint(endpoint, tls);
    } catch (err) {
      throw input.error(at('endpoint'), (err as Error).message);
    }
    let capacity: HostSpec['capacity'];
    if (h.capacity !== undefined) {
      const c = input.object(at('capacity'), h.capacity, CAPACITY);
      const units = { cpu: 'cores', memory: 'GiB', gpu: 'GPUs' } as const;
      capacity = Object.fromEntries(CAPACITY.filter((k) => c[k] !== undefined)
        .map((k) => [k, input.number(at('capacity', k), c[k], { min: 0, unit: units[k] })]));
    }
    if (h.cordon !== undefined && typeof h.cordon !== 'boolean') throw input.error(at('cordon'), `expected true or false; got ${quote(h.cordon)}`);
    return {
      name, endpoint, ...(tls && { tls }), ...(capacity && { capacity }),
      labels: h.labels === undefined ? {} : input.stringMap(at('labels'), h.labels),
      cordon: h.cordon === true,
    };
  });
}

export async function loadHostsFile(path: string): Promise<HostSpec[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new InputError({ file: path }, `cannot read the hosts file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseHostsFile(text, path);
}
