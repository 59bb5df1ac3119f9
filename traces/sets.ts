// The public trace sets `berth trace fetch` knows: where each is published, which of its files
// berth reads, their published checksums, and how to replay them once fetched. A set without a
// stable download address says how to get it by hand.

import { join } from 'node:path';
import { InputError } from '../sim/errors.ts';
import type { TraceFormat } from './formats/index.ts';

export interface RemoteFile {
  /** Path under the set's base address. */
  readonly remote: string;
  /** Path under the output folder. */
  readonly local: string;
  /** The SHA-256 the publisher gives, when it gives it inline rather than in a checksum file. */
  readonly sha256?: string;
  /** A .tar.gz to unpack into the output folder once fetched, and the file it holds. */
  readonly unpacksTo?: string;
}

export interface Selection {
  /** Part numbers, for sets cut into parts. */
  readonly parts?: readonly number[];
  /** File names, for sets that are collections (the Parallel Workloads Archive). */
  readonly logs?: readonly string[];
}

export interface TraceSet {
  readonly name: string;
  readonly format: TraceFormat;
  readonly title: string;
  /** Where its files are; absent when the set can only be had by hand. */
  readonly baseUrl?: string;
  /** How to get it by hand, when it has no download address. */
  readonly byHand?: string;
  /** What else to know: what is not fetched, sizes. */
  readonly note?: string;
  /** A `sha256sum` listing under the base address, covering the files. */
  readonly checksumFile?: string;
  /** Where the checksums come from, for people. */
  readonly checksums: string;
  /** What `--parts` or `--logs` choose from, if anything. */
  readonly selects?: 'parts' | 'logs';
  files(selection: Selection): RemoteFile[];
  /** The command that replays what was fetched into `dir`. */
  replay(dir: string): string;
}

const GOOGLE_2011_PARTS = 500;
const part = (i: number, of: number): string => `part-${String(i).padStart(5, '0')}-of-${String(of).padStart(5, '0')}.csv.gz`;

/** Cleaned logs of the Parallel Workloads Archive, by file name, with the archive's folder for each. */
const PWA_LOGS: Record<string, string> = {
  'NASA-iPSC-1993-3.1-cln.swf.gz': 'l_nasa_ipsc',
  'LANL-CM5-1994-4.1-cln.swf.gz': 'l_lanl_cm5',
  'SDSC-Par-1995-3.1-cln.swf.gz': 'l_sdsc_par',
  'SDSC-Par-1996-3.1-cln.swf.gz': 'l_sdsc_par',
  'CTC-SP2-1996-3.1-cln.swf.gz': 'l_ctc_sp2',
  'KTH-SP2-1996-2.1-cln.swf.gz': 'l_kth_sp2',
  'SDSC-SP2-1998-4.2-cln.swf.gz': 'l_sdsc_sp2',
  'LANL-O2K-1999-2.swf.gz': 'l_lanl_o2k',
  'OSC-Clust-2000-3.1-cln.swf.gz': 'l_osc',
  'SDSC-BLUE-2000-4.2-cln.swf.gz': 'l_sdsc_blue',
  'Sandia-Ross-2001-1.1-cln.swf.gz': 'l_sandia_ross',
  'HPC2N-2002-2.2-cln.swf.gz': 'l_hpc2n',
  'SDSC-DS-2004-2.1-cln.swf.gz': 'l_sdsc_ds',
  'LPC-EGEE-2004-1.2-cln.swf.gz': 'l_lpc',
  'LLNL-Atlas-2006-2.1-cln.swf.gz': 'l_llnl_atlas',
  'LLNL-Thunder-2007-1.1-cln.swf.gz': 'l_llnl_thunder',
  'ANL-Intrepid-2009-1.swf.gz': 'l_anl_int',
  'METACENTRUM-2009-2.swf.gz': 'l_metacentrum',
  'RICC-2010-2.swf.gz': 'l_ricc',
  'CEA-Curie-2011-2.1-cln.swf.gz': 'l_cea_curie',
  'UniLu-Gaia-2014-2.swf.gz': 'l_unilu_gaia',
  'KIT-FH2-2016-1.swf.gz': 'l_kit_fh2',
};
/** SHA-256 of the three logs the project's tests replay (byte-compared copies of the archive's files). */
const PWA_SHA256: Record<string, string> = {
  'KTH-SP2-1996-2.1-cln.swf.gz': '3e152f201fd2e96808a735bced6ea6eb0bb07fdc447689cafb0750d87b264c0b',
  'LANL-CM5-1994-4.1-cln.swf.gz': '71ff3dfa301b3ee1bd30ebc63c5363b5e8ec488e75f1f9398aa46d485ef23c3c',
  'NASA-iPSC-1993-3.1-cln.swf.gz': '5589ae9b2fb78e3bf92de097497cf33a91607de1ad54563e43533f7827597f29',
};
const DEFAULT_PWA_LOGS = Object.keys(PWA_SHA256);

/** Alibaba v2018's tables berth reads, with the checksums published in trace_2018.md. */
const ALIBABA_2018: Record<string, string> = {
  machine_meta: 'b5b1b786b22cd413a3674b8f2ebfb2f02fac991c95df537f363ef2797c8f6d55',
  container_meta: 'febd75e693d1f208a8941395e7faa7e466e50d21c256eff12a815b7e2fa2053f',
  batch_task: '7c4b32361bd1ec2083647a8f52a6854a03bc125ca5c202652316c499fbf978c6',
  batch_instance: 'e73e5a9326669aa079ba20048ddd759383cabe1fe3e58620aa75bd034e2450c6',
};

/** openb's files in alibaba/clusterdata, with the SHA-256 of the copies the project tests against. */
const OPENB: Record<string, string> = {
  'openb_pod_list_default.csv': '1ee7ed79c27a3b0861cda8ddba86a004c6aba904caafa329a76ae93ca63834a8',
  'openb_node_list_all_node.csv': '5a85c2af79c66a1efff8bbcbda430400aae56d8431370d738480967e1a9c6b15',
  'openb_node_list_gpu_node.csv': '2beca64b4d3dfa342036a34b56a495c6cef9225db836c81f541282cb1df320b5',
};

export const TRACE_SETS: readonly TraceSet[] = [
  {
    name: 'google2011',
    format: 'google2011',
    title: 'Google cluster-data 2011 (clusterdata-2011-2): 12.5k machines, 29 days',
    baseUrl: 'https://commondatastorage.googleapis.com/clusterdata-2011-2/',
    checksumFile: 'SHA256SUM',
    checksums: 'published in the bucket\'s SHA256SUM',
    selects: 'parts',
    files({ parts = range(0, GOOGLE_2011_PARTS - 1) }) {
      const machines = ['machine_events', 'machine_attributes'].map((t) => ({ remote: `${t}/${part(0, 1)}`, local: `${t}/${part(0, 1)}` }));
      const tasks = parts.flatMap((i) => ['task_events', 'task_constraints'].map((t) => ({ remote: `${t}/${part(i, GOOGLE_2011_PARTS)}`, local: `${t}/${part(i, GOOGLE_2011_PARTS)}` })));
      return [...machines, ...tasks];
    },
    replay: (dir) => `berth sim --trace ${join(dir, 'task_events')} --trace ${join(dir, 'task_constraints')} --format google2011 ` +
      `--cluster ${join(dir, 'machine_events')} --cluster ${join(dir, 'machine_attributes')} --cluster-format google2011`,
  },
  {
    name: 'google2019',
    format: 'google2019',
    title: 'Google cluster-data 2019: eight cells, May 2019',
    byHand: 'The 2019 trace is published only as BigQuery tables (dataset google.com:google-cluster-data, ' +
      'tables clusterdata_2019_<cell>.instance_events and .machine_events), about 2.4 TiB; there is no download address. ' +
      'Export the two tables of a cell as JSON Lines, e.g. `bq extract --destination_format NEWLINE_DELIMITED_JSON --compression GZIP ' +
      '\'google.com:google-cluster-data:clusterdata_2019_a.instance_events\' gs://YOUR_BUCKET/instance_events-*.json.gz` ' +
      '(a Google Cloud project is needed), copy the files down, and keep the table names in the file names. ' +
      'Terms: CC-BY 4.0; see https://github.com/google/cluster-data/blob/master/ClusterData2019.md',
    checksums: 'none (you export it)',
    files: () => [],
    replay: (dir) => `berth sim --trace '${join(dir, 'instance_events-*.json.gz')}' --format google2019 --cluster '${join(dir, 'machine_events-*.json.gz')}' --cluster-format google2019`,
  },
  {
    name: 'alibaba2018',
    format: 'alibaba2018',
    title: 'Alibaba cluster-trace-v2018: 4,000 machines, 8 days',
    baseUrl: 'http://aliopentrace.oss-cn-beijing.aliyuncs.com/v2018Traces/',
    checksums: 'published in cluster-trace-v2018/trace_2018.md',
    files: () => Object.entries(ALIBABA_2018).map(([table, sha256]) => ({ remote: `${table}.tar.gz`, local: `archives/${table}.tar.gz`, sha256, unpacksTo: `${table}.csv` })),
    note: 'The usage tables (machine_usage, container_usage: 30 GB packed) are not fetched: berth does not read them. ' +
      'batch_instance alone is 20 GB packed; the publisher gives 48 GB packed and 280 GB unpacked for the whole set.',
    replay: (dir) => `berth sim --trace ${join(dir, 'batch_task.csv')} --trace ${join(dir, 'batch_instance.csv')} --trace ${join(dir, 'container_meta.csv')} ` +
      `--format alibaba2018 --cluster ${join(dir, 'machine_meta.csv')} --cluster-format alibaba2018`,
  },
  {
    name: 'openb',
    format: 'openb',
    title: 'Alibaba cluster-trace-gpu-v2023 ("openb"): 8,152 GPU pods on 1,523 nodes',
    baseUrl: 'https://raw.githubusercontent.com/alibaba/clusterdata/master/cluster-trace-gpu-v2023/csv/',
    checksums: 'none published; berth checks the SHA-256 of the copies it was tested with',
    files: () => Object.entries(OPENB).map(([name, sha256]) => ({ remote: name, local: name, sha256 })),
    replay: (dir) => `berth sim --trace ${join(dir, 'openb_pod_list_default.csv')} --format openb ` +
      `--cluster ${join(dir, 'openb_node_list_all_node.csv')} --cluster-format openb`,
  },
  {
    name: 'azure2017',
    format: 'azure2017',
    title: 'Azure Public Dataset V1 (2017): VM table, 30 days',
    baseUrl: 'https://azurepublicdatasettraces.blob.core.windows.net/azurepublicdataset/trace_data/',
    checksums: 'none published',
    files: () => [{ remote: 'vmtable/vmtable.csv.gz', local: 'vmtable.csv.gz' }],
    replay: (dir) => `berth sim --trace ${join(dir, 'vmtable.csv.gz')} --format azure2017 --cluster CLUSTER.yaml`,
  },
  {
    name: 'azure2019',
    format: 'azure2019',
    title: 'Azure Public Dataset V2 (2019): VM table, 30 days',
    baseUrl: 'https://azurecloudpublicdataset2.z19.web.core.windows.net/azurepublicdatasetv2/trace_data/',
    checksums: 'none published',
    files: () => [{ remote: 'vmtable/vmtable.csv.gz', local: 'vmtable.csv.gz' }],
    replay: (dir) => `berth sim --trace ${join(dir, 'vmtable.csv.gz')} --format azure2019 --cluster CLUSTER.yaml`,
  },
  {
    name: 'swf',
    format: 'swf',
    title: 'Parallel Workloads Archive: HPC logs in the Standard Workload Format',
    baseUrl: 'https://www.cs.huji.ac.il/labs/parallel/workload/',
    checksums: `none published; berth checks the SHA-256 of ${DEFAULT_PWA_LOGS.length} logs it was tested with`,
    selects: 'logs',
    files({ logs = DEFAULT_PWA_LOGS }) {
      return logs.map((log) => {
        const name = log.endsWith('.swf.gz') ? log : `${log}.swf.gz`;
        const folder = PWA_LOGS[name];
        if (!folder) throw new InputError({ field: '--logs' }, `unknown log ${JSON.stringify(log)}; berth knows ${Object.keys(PWA_LOGS).map((l) => l.replace(/\.swf\.gz$/, '')).join(', ')}`);
        const sha256 = PWA_SHA256[name];
        return { remote: `${folder}/${name}`, local: name, ...(sha256 !== undefined && { sha256 }) };
      });
    },
    note: 'Other logs: https://www.cs.huji.ac.il/labs/parallel/workload/logs.html (cite the archive and the log\'s contributor).',
    replay: (dir) => `berth sim --trace ${join(dir, 'LANL-CM5-1994-4.1-cln.swf.gz')} --format swf`,
  },
];

export function traceSet(name: string): TraceSet {
  const set = TRACE_SETS.find((s) => s.name === name);
  if (!set) throw new InputError({ field: 'SET' }, `unknown trace set ${JSON.stringify(name)}; expected one of ${TRACE_SETS.map((s) => s.name).join(', ')}`);
  return set;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** "0-4,7,10-12" as part numbers, each in [0, count). */
export function parseParts(text: string, count = GOOGLE_2011_PARTS): number[] {
  const parts = new Set<number>();
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(item);
    const from = m ? Number(m[1]) : NaN, to = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || from > to || to >= count) {
      throw new InputError({ field: '--parts' }, `expected part numbers from 0 to ${count - 1}, as 0-4 or 0,3,7-9; got ${JSON.stringify(item)}`);
    }
    for (let i = from; i <= to; i++) parts.add(i);
  }
  if (parts.size === 0) throw new InputError({ field: '--parts' }, `expected part numbers from 0 to ${count - 1}, as 0-4 or 0,3,7-9; got nothing`);
  return [...parts].sort((a, b) => a - b);
}
