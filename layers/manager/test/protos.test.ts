// The manager's gRPC contract (api/protos.ts): every containerd 1.6 service the real ctr calls
// loads from our .proto text, streams are marked, messages round-trip, and wire vectors written
// by hand from containerd's field numbers match byte for byte (a wrong number fails here).
import { describe, expect, it } from 'vitest';
import { decode, encode, PROTO_FILES, ProtoSchema, type MessageType } from '@strata/shim/proto';
import {
  API_PROTO_FILES,
  API_SERVICES,
  CONTAINERS_SERVICE,
  CONTENT_SERVICE,
  DIFF_SERVICE,
  EVENT_TYPES,
  EVENTS_SERVICE,
  HEALTH_SERVICE,
  IMAGES_SERVICE,
  INTROSPECTION_SERVICE,
  LEASES_SERVICE,
  NAMESPACES_SERVICE,
  SNAPSHOTS_SERVICE,
  TASKS_SERVICE,
  VERSION_SERVICE,
  ProcessStatus,
  SnapshotKind,
  WriteAction,
  schema,
  type Container,
  type ListTasksResponse,
  type SnapshotInfo,
  type WriteContentRequest,
} from '../src/api/protos';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** encode(value) must be exactly `bytes` (hex, spaces allowed), and decoding them gives value back. */
function vector(type: MessageType<any>, value: object, bytes: string) {
  const want = bytes.replace(/\s+/g, '');
  expect(hex(encode(type, value)), type.fullName).toBe(want);
  expect(decode(type, new Uint8Array(Buffer.from(want, 'hex'))), type.fullName).toMatchObject(value);
}

const msg = (name: string) => schema.message(name);

describe('the services ctr calls', () => {
  const methods: Record<string, string[]> = {
    'containerd.services.version.v1.Version': ['Version'],
    'containerd.services.namespaces.v1.Namespaces': ['Get', 'List', 'Create', 'Update', 'Delete'],
    'containerd.services.images.v1.Images': ['Get', 'List', 'Create', 'Update', 'Delete'],
    'containerd.services.content.v1.Content': ['Info', 'Update', 'List', 'Delete', 'Read', 'Status', 'ListStatuses', 'Write', 'Abort'],
    'containerd.services.snapshots.v1.Snapshots': ['Prepare', 'View', 'Mounts', 'Commit', 'Remove', 'Stat', 'Update', 'List', 'Usage', 'Cleanup'],
    'containerd.services.leases.v1.Leases': ['Create', 'Delete', 'List', 'AddResource', 'DeleteResource', 'ListResources'],
    'containerd.services.containers.v1.Containers': ['Get', 'List', 'ListStream', 'Create', 'Update', 'Delete'],
    'containerd.services.tasks.v1.Tasks': [
      'Create', 'Start', 'Delete', 'DeleteProcess', 'Get', 'List', 'Kill', 'Exec', 'ResizePty',
      'CloseIO', 'Pause', 'Resume', 'ListPids', 'Checkpoint', 'Update', 'Metrics', 'Wait',
    ],
    'containerd.services.events.v1.Events': ['Publish', 'Forward', 'Subscribe'],
    'containerd.services.diff.v1.Diff': ['Apply', 'Diff'],
    'containerd.services.introspection.v1.Introspection': ['Plugins', 'Server'],
    'grpc.health.v1.Health': ['Check', 'Watch'],
  };

  it('has every service with exactly its methods', () => {
    expect(API_SERVICES.map((s) => s.fullName).sort()).toEqual(Object.keys(methods).sort());
    for (const s of API_SERVICES) expect(Object.keys(s.methods).sort(), s.fullName).toEqual([...methods[s.fullName]].sort());
  });

  it('resolves every input and output, and every message they reach', () => {
    const seen = new Set<string>();
    const walk = (t: MessageType<any>) => {
      if (seen.has(t.fullName)) return;
      seen.add(t.fullName);
      for (const f of t.fields) {
        if (typeof f.type === 'object') walk(f.type);
        if (f.map && typeof f.map.value === 'object') walk(f.map.value);
      }
    };
    for (const s of API_SERVICES) for (const m of Object.values(s.methods)) (walk(m.input), walk(m.output));
    for (const t of Object.values(EVENT_TYPES)) walk(t);
    expect(seen.size).toBeGreaterThan(100);
    expect(TASKS_SERVICE.methods.Kill.output.fullName).toBe('google.protobuf.Empty');
    expect(TASKS_SERVICE.methods.Delete.output.fullName).toBe('containerd.services.tasks.v1.DeleteResponse');
    expect(TASKS_SERVICE.methods.DeleteProcess.output).toBe(TASKS_SERVICE.methods.Delete.output);
    expect(VERSION_SERVICE.methods.Version.input.fullName).toBe('google.protobuf.Empty');
    expect(CONTAINERS_SERVICE.methods.ListStream.input.fullName).toBe('containerd.services.containers.v1.ListContainersRequest');
  });

  it('marks the streaming methods, and only those', () => {
    const streams: Record<string, [boolean, boolean]> = {
      'containerd.services.content.v1.Content/List': [false, true],
      'containerd.services.content.v1.Content/Read': [false, true],
      'containerd.services.content.v1.Content/Write': [true, true],
      'containerd.services.snapshots.v1.Snapshots/List': [false, true],
      'containerd.services.containers.v1.Containers/ListStream': [false, true],
      'containerd.services.events.v1.Events/Subscribe': [false, true],
      'grpc.health.v1.Health/Watch': [false, true],
    };
    for (const s of API_SERVICES) {
      for (const m of Object.values(s.methods)) {
        const [client, server] = streams[`${s.fullName}/${m.name}`] ?? [false, false];
        expect(!!m.clientStream, `${s.fullName}/${m.name} client stream`).toBe(client);
        expect(!!m.serverStream, `${s.fullName}/${m.name} server stream`).toBe(server);
      }
    }
  });

  it('declares each message once: no file of ours redefines a shim message, no field number repeats', () => {
    const shim = new ProtoSchema();
    for (const t of Object.values(PROTO_FILES)) shim.add(t);
    const shimNames = new Set(shim.messageNames());
    const ours = new ProtoSchema();
    for (const t of Object.values(API_PROTO_FILES)) ours.add(t);
    const ourNames = ours.messageNames();
    expect(ourNames.filter((n) => shimNames.has(n))).toEqual([]);
    expect(schema.messageNames().length).toBe(shimNames.size + ourNames.length);
    for (const name of ourNames) {
      const nos = schema.message(name).fields.map((f) => f.no);
      expect(new Set(nos).size, name).toBe(nos.length);
    }
  });

  it('keeps the exact names of the events that travel inside an Any', () => {
    expect(Object.fromEntries(Object.entries(EVENT_TYPES).map(([topic, t]) => [topic, t.fullName]))).toEqual({
      '/containers/create': 'containerd.events.ContainerCreate',
      '/containers/update': 'containerd.events.ContainerUpdate',
      '/containers/delete': 'containerd.events.ContainerDelete',
      '/content/delete': 'containerd.events.ContentDelete',
      '/images/create': 'containerd.services.images.v1.ImageCreate',
      '/images/update': 'containerd.services.images.v1.ImageUpdate',
      '/images/delete': 'containerd.services.images.v1.ImageDelete',
      '/namespaces/create': 'containerd.events.NamespaceCreate',
      '/namespaces/update': 'containerd.events.NamespaceUpdate',
      '/namespaces/delete': 'containerd.events.NamespaceDelete',
      '/snapshot/prepare': 'containerd.events.SnapshotPrepare',
      '/snapshot/commit': 'containerd.events.SnapshotCommit',
      '/snapshot/remove': 'containerd.events.SnapshotRemove',
    });
  });
});

describe('round trips', () => {
  it('Container with runtime options, spec Any and extensions', () => {
    const c: Container = {
      id: 'web',
      labels: { app: 'web', 'io.containerd.image.config.stop-signal': 'SIGTERM' },
      image: 'docker.io/library/alpine:3.19',
      runtime: { name: 'io.containerd.runc.v2', options: { typeUrl: 'containerd.runc.v1.Options', value: Uint8Array.of(0x08, 0x01) } },
      spec: { typeUrl: 'types.containerd.io/opencontainers/runtime-spec/1/Spec', value: new TextEncoder().encode('{"ociVersion":"1.0.2"}') },
      snapshotter: 'overlayfs',
      snapshotKey: 'web',
      createdAt: { seconds: 1_700_000_000, nanos: 123 },
      updatedAt: { seconds: 1_700_000_001, nanos: 0 },
      extensions: { 'nerdctl/x': { typeUrl: 'a.B', value: Uint8Array.of(1, 2, 3) } },
    };
    const t = msg('containerd.services.containers.v1.Container');
    expect(decode(t, encode(t, c))).toEqual(c);
  });

  it('WriteContentRequest with its action', () => {
    const w: WriteContentRequest = {
      action: WriteAction.COMMIT,
      ref: 'layer-sha256:abc',
      total: 5_000_000_000,
      expected: 'sha256:' + 'a'.repeat(64),
      offset: 4_999_999_000,
      data: Uint8Array.from({ length: 300 }, (_, i) => i & 0xff),
      labels: { 'containerd.io/uncompressed': 'sha256:' + 'b'.repeat(64) },
    };
    const t = CONTENT_SERVICE.methods.Write.input;
    expect(decode(t, encode(t, w))).toEqual(w);
  });

  it('snapshot Info with kind and labels', () => {
    const i: SnapshotInfo = {
      name: 'sha256:' + 'c'.repeat(64),
      parent: 'sha256:' + 'd'.repeat(64),
      kind: SnapshotKind.COMMITTED,
      createdAt: { seconds: 1, nanos: 2 },
      updatedAt: { seconds: 3, nanos: 4 },
      labels: { 'containerd.io/snapshot.ref': 'x' },
    };
    const t = msg('containerd.services.snapshots.v1.Info');
    expect(decode(t, encode(t, i))).toEqual(i);
  });

  it('ListTasksResponse with Process entries', () => {
    const r: ListTasksResponse = {
      tasks: [
        { containerId: 'a', id: 'a', pid: 4242, status: ProcessStatus.RUNNING, stdin: '', stdout: '/run/a/out', stderr: '/run/a/err', terminal: false, exitStatus: 0, exitedAt: { seconds: -62135596800, nanos: 0 } },
        { containerId: 'b', id: 'b', pid: 0, status: ProcessStatus.STOPPED, stdin: 'fifo', stdout: '', stderr: '', terminal: true, exitStatus: 137, exitedAt: { seconds: 1_700_000_000, nanos: 5 } },
      ],
    };
    const t = TASKS_SERVICE.methods.List.output;
    expect(decode(t, encode(t, r))).toEqual(r);
  });
});

// Each vector is written from containerd's field numbers: a key byte is (number << 3) | wire type
// (0 varint, 2 length-delimited); maps are repeated {key = 1, value = 2} entries.
describe('hand-checked wire vectors', () => {
  it('version', () => {
    // version = 1 "v1", revision = 2 "ab"
    vector(VERSION_SERVICE.methods.Version.output, { version: 'v1', revision: 'ab' }, '0a027631 12026162');
  });

  it('health', () => {
    vector(HEALTH_SERVICE.methods.Check.input, { service: 's' }, '0a0173');
    vector(HEALTH_SERVICE.methods.Check.output, { status: 1 }, '0801');
  });

  it('namespaces', () => {
    // namespace = 1 {name = 1 "n", labels = 2 {a: b}}, update_mask = 2 {paths = 1 "labels"}
    vector(NAMESPACES_SERVICE.methods.Update.input, { namespace: { name: 'n', labels: { a: 'b' } }, updateMask: { paths: ['labels'] } }, '0a0b 0a016e 1206 0a0161 120162  1208 0a06 6c6162656c73');
    vector(NAMESPACES_SERVICE.methods.List.input, { filter: 'f' }, '0a0166');
  });

  it('images', () => {
    // name = 1, target = 3 {digest = 2, size = 3, annotations = 5}, created_at = 7 {seconds = 1}
    vector(msg('containerd.services.images.v1.Image'), { name: 'i', target: { digest: 'd', size: 5, annotations: { k: 'v' } }, createdAt: { seconds: 1 } }, '0a0169 1a0d 120164 1805 2a06 0a016b 120176 3a02 0801');
    // updated_at = 8
    vector(msg('containerd.services.images.v1.Image'), { updatedAt: { nanos: 2 } }, '4202 1002');
    vector(IMAGES_SERVICE.methods.Delete.input, { name: 'i', sync: true }, '0a0169 1001');
  });

  it('content', () => {
    // action = 1, ref = 2, total = 3, expected = 4, offset = 5, data = 6, labels = 7
    vector(CONTENT_SERVICE.methods.Write.input, { action: WriteAction.COMMIT, ref: 'r', total: 3, expected: 'e', offset: 1, data: Uint8Array.of(0xff), labels: { a: 'b' } }, '0802 120172 1803 220165 2801 3201ff 3a06 0a0161 120162');
    // action = 1, started_at = 2, updated_at = 3, offset = 4, total = 5, digest = 6
    vector(CONTENT_SERVICE.methods.Write.output, { action: WriteAction.WRITE, startedAt: { seconds: 1 }, updatedAt: { seconds: 2 }, offset: 4, total: 5, digest: 'd' }, '0801 12020801 1a020802 2004 2805 320164');
    vector(CONTENT_SERVICE.methods.Read.input, { digest: 'd', offset: 2, size: 3 }, '0a0164 1002 1803');
    vector(CONTENT_SERVICE.methods.Read.output, { offset: 7, data: Uint8Array.of(1, 2) }, '0807 12020102');
    // Status: started_at = 1, updated_at = 2, ref = 3, offset = 4, total = 5, expected = 6
    vector(msg('containerd.services.content.v1.Status'), { startedAt: { seconds: 1 }, updatedAt: { seconds: 2 }, ref: 'r', offset: 4, total: 5, expected: 'e' }, '0a020801 12020802 1a0172 2004 2805 320165');
    // Info: digest = 1, size = 2, created_at = 3, updated_at = 4, labels = 5
    vector(msg('containerd.services.content.v1.Info'), { digest: 'd', size: 2, createdAt: { seconds: 3 }, updatedAt: { seconds: 4 }, labels: { a: 'b' } }, '0a0164 1002 1a020803 22020804 2a06 0a0161 120162');
  });

  it('snapshots', () => {
    // snapshotter = 1, info = 2 {name = 1, kind = 3}, update_mask = 3
    vector(SNAPSHOTS_SERVICE.methods.Update.input, { snapshotter: 'o', info: { name: 'k', kind: SnapshotKind.ACTIVE }, updateMask: { paths: ['l'] } }, '0a016f 1205 0a016b 1802 1a03 0a016c');
    // Info: parent = 2, created_at = 4, updated_at = 5, labels = 6
    vector(msg('containerd.services.snapshots.v1.Info'), { parent: 'p', createdAt: { seconds: 1 }, updatedAt: { seconds: 2 }, labels: { a: 'b' } }, '120170 22020801 2a020802 3206 0a0161 120162');
    // snapshotter = 1, name = 2, key = 3, labels = 4
    vector(SNAPSHOTS_SERVICE.methods.Commit.input, { snapshotter: 'o', name: 'n', key: 'k', labels: { a: 'b' } }, '0a016f 12016e 1a016b 2206 0a0161 120162');
    vector(SNAPSHOTS_SERVICE.methods.Prepare.input, { snapshotter: 'o', key: 'k', parent: 'p' }, '0a016f 12016b 1a0170');
    // mounts = 1 [{type = 1 "overlay", options = 4 ["ro"]}]
    vector(SNAPSHOTS_SERVICE.methods.Prepare.output, { mounts: [{ type: 'overlay', options: ['ro'] }] }, '0a0d 0a076f7665726c6179 2202726f');
    vector(SNAPSHOTS_SERVICE.methods.List.input, { snapshotter: 'o', filters: ['f'] }, '0a016f 120166');
    vector(SNAPSHOTS_SERVICE.methods.Usage.output, { size: 4096, inodes: 3 }, '088020 1003');
  });

  it('leases', () => {
    // id = 1, labels = 3 (2 is unused)
    vector(LEASES_SERVICE.methods.Create.input, { id: 'l', labels: { a: 'b' } }, '0a016c 1a06 0a0161 120162');
    // Lease: id = 1, created_at = 2, labels = 3
    vector(LEASES_SERVICE.methods.Create.output, { lease: { id: 'l', createdAt: { seconds: 1 }, labels: { a: 'b' } } }, '0a0f 0a016c 12020801 1a06 0a0161 120162');
    // id = 1, resource = 2 {id = 1, type = 2}
    vector(LEASES_SERVICE.methods.AddResource.input, { id: 'l', resource: { id: 'x', type: 't' } }, '0a016c 1206 0a0178 120174');
    vector(LEASES_SERVICE.methods.Delete.input, { id: 'l', sync: true }, '0a016c 1001');
  });

  it('containers', () => {
    vector(CONTAINERS_SERVICE.methods.Get.input, { id: 'a' }, '0a0161');
    const c = {
      id: 'c',
      labels: { a: 'b' },
      image: 'i',
      runtime: { name: 'r', options: { typeUrl: 't', value: Uint8Array.of(1) } },
      spec: { typeUrl: 's' },
      snapshotter: 'o',
      snapshotKey: 'k',
      createdAt: { seconds: 1 },
      updatedAt: { nanos: 2 },
      extensions: { e: { typeUrl: 'x' } },
    };
    vector(
      msg('containerd.services.containers.v1.Container'),
      c,
      [
        '0a0163', // id = 1
        '1206 0a0161 120162', // labels = 2
        '1a0169', // image = 3
        '220b 0a0172 1206 0a0174 120101', // runtime = 4 {name = 1, options = 2 {type_url, value}}
        '2a03 0a0173', // spec = 5
        '32016f', // snapshotter = 6
        '3a016b', // snapshot_key = 7
        '4202 0801', // created_at = 8
        '4a02 1002', // updated_at = 9 {nanos = 2}
        '5208 0a0165 1203 0a0178', // extensions = 10 (key 0x52 = 10 << 3 | 2)
      ].join(''),
    );
    // container = 1, update_mask = 2
    vector(CONTAINERS_SERVICE.methods.Update.input, { container: { id: 'c' }, updateMask: { paths: ['spec'] } }, '0a03 0a0163 1206 0a0473706563');
  });

  it('tasks', () => {
    // container_id = 1, rootfs = 3, stdin = 4, stdout = 5, stderr = 6, terminal = 7,
    // checkpoint = 8, options = 9, runtime_path = 10
    vector(
      TASKS_SERVICE.methods.Create.input,
      { containerId: 'c', rootfs: [{ type: 't' }], stdin: 'i', stdout: 'o', stderr: 'e', terminal: true, checkpoint: { size: 1 }, options: { typeUrl: 'o' }, runtimePath: 'p' },
      '0a0163 1a03 0a0174 220169 2a016f 320165 3801 4202 1801 4a03 0a016f 520170',
    );
    vector(TASKS_SERVICE.methods.Create.output, { containerId: 'c', pid: 9 }, '0a0163 1009');
    // container_id = 1, stdin = 2, stdout = 3, stderr = 4, terminal = 5, spec = 6, exec_id = 7
    vector(TASKS_SERVICE.methods.Exec.input, { containerId: 'c', stdin: 'i', stdout: 'o', stderr: 'e', terminal: true, spec: { typeUrl: 's' }, execId: 'x' }, '0a0163 120169 1a016f 220165 2801 3203 0a0173 3a0178');
    vector(TASKS_SERVICE.methods.Kill.input, { containerId: 'c', execId: 'e', signal: 9, all: true }, '0a0163 120165 1809 2001');
    vector(TASKS_SERVICE.methods.ResizePty.input, { containerId: 'c', execId: 'e', width: 80, height: 24 }, '0a0163 120165 1850 2018');
    vector(TASKS_SERVICE.methods.CloseIO.input, { containerId: 'c', execId: 'e', stdin: true }, '0a0163 120165 1801');
    // id = 1, pid = 2, exit_status = 3, exited_at = 4
    vector(TASKS_SERVICE.methods.Delete.output, { id: 'c', pid: 2, exitStatus: 3, exitedAt: { seconds: 4 } }, '0a0163 1002 1803 22020804');
    vector(TASKS_SERVICE.methods.Wait.output, { exitStatus: 1, exitedAt: { seconds: 2 } }, '0801 12020802');
    // Process: container_id = 1 ... exited_at = 10
    vector(
      TASKS_SERVICE.methods.Get.output,
      { process: { containerId: 'c', id: 'i', pid: 7, status: ProcessStatus.RUNNING, stdin: 'a', stdout: 'b', stderr: 'e', terminal: true, exitStatus: 1, exitedAt: { seconds: 1 } } },
      '0a1b 0a0163 120169 1807 2002 2a0161 320162 3a0165 4001 4801 5202 0801',
    );
    vector(TASKS_SERVICE.methods.List.output, { tasks: [{ id: 'i', status: ProcessStatus.RUNNING }] }, '0a05 120169 2002');
    vector(TASKS_SERVICE.methods.ListPids.output, { processes: [{ pid: 3, info: { typeUrl: 'x' } }] }, '0a07 0803 1203 0a0178');
    // container_id = 1, parent_checkpoint = 2, options = 3
    vector(TASKS_SERVICE.methods.Checkpoint.input, { containerId: 'c', parentCheckpoint: 'p', options: { typeUrl: 'o' } }, '0a0163 120170 1a03 0a016f');
    vector(TASKS_SERVICE.methods.Checkpoint.output, { descriptors: [{ mediaType: 'm' }] }, '0a03 0a016d');
    // container_id = 1, resources = 2, annotations = 3
    vector(TASKS_SERVICE.methods.Update.input, { containerId: 'c', resources: { typeUrl: 'r' }, annotations: { a: 'b' } }, '0a0163 1203 0a0172 1a06 0a0161 120162');
    // Metric: timestamp = 1, id = 2, data = 3
    vector(TASKS_SERVICE.methods.Metrics.output, { metrics: [{ timestamp: { seconds: 1 }, id: 'x', data: { typeUrl: 't' } }] }, '0a0c 0a020801 120178 1a03 0a0174');
  });

  it('events', () => {
    // topic = 1, event = 2
    vector(EVENTS_SERVICE.methods.Publish.input, { topic: '/t', event: { typeUrl: 'x', value: Uint8Array.of(1) } }, '0a022f74 1206 0a0178 120101');
    // Envelope: timestamp = 1, namespace = 2, topic = 3, event = 4
    vector(EVENTS_SERVICE.methods.Subscribe.output, { timestamp: { seconds: 1 }, namespace: 'n', topic: 't', event: { typeUrl: 'x' } }, '0a020801 12016e 1a0174 2203 0a0178');
    vector(EVENTS_SERVICE.methods.Forward.input, { envelope: { namespace: 'n' } }, '0a03 12016e');
    // ContainerCreate: id = 1, image = 2, runtime = 3 {name = 1}
    vector(EVENT_TYPES['/containers/create'], { id: 'c', image: 'i', runtime: { name: 'r' } }, '0a0163 120169 1a03 0a0172');
    // ContainerUpdate: id = 1, image = 2, labels = 3, snapshot_key = 4
    vector(EVENT_TYPES['/containers/update'], { id: 'c', image: 'i', labels: { a: 'b' }, snapshotKey: 'k' }, '0a0163 120169 1a06 0a0161 120162 22016b');
    vector(EVENT_TYPES['/images/update'], { name: 'i', labels: { a: 'b' } }, '0a0169 1206 0a0161 120162');
    vector(EVENT_TYPES['/namespaces/create'], { name: 'n', labels: { a: 'b' } }, '0a016e 1206 0a0161 120162');
    vector(EVENT_TYPES['/snapshot/prepare'], { key: 'k', parent: 'p' }, '0a016b 120170');
    vector(EVENT_TYPES['/snapshot/commit'], { key: 'k', name: 'n' }, '0a016b 12016e');
    vector(EVENT_TYPES['/content/delete'], { digest: 'd' }, '0a0164');
  });

  it('diff', () => {
    // diff = 1, mounts = 2, payloads = 3 (map of Any)
    vector(DIFF_SERVICE.methods.Apply.input, { diff: { size: 1 }, mounts: [{ type: 'a' }], payloads: { p: { typeUrl: 'x' } } }, '0a02 1801 1203 0a0161 1a08 0a0170 1203 0a0178');
    // left = 1, right = 2, media_type = 3, ref = 4, labels = 5
    vector(DIFF_SERVICE.methods.Diff.input, { left: [{ type: 'a' }], right: [{ type: 'b' }], mediaType: 'm', ref: 'r', labels: { k: 'v' } }, '0a03 0a0161 1203 0a0162 1a016d 220172 2a06 0a016b 120176');
    // diff = 3 (1 and 2 are unused)
    vector(DIFF_SERVICE.methods.Diff.output, { diff: { size: 1 } }, '1a02 1801');
    vector(DIFF_SERVICE.methods.Apply.output, { applied: { size: 1 } }, '0a02 1801');
  });

  it('introspection', () => {
    // type = 1, id = 2, requires = 3, platforms = 4 {os = 1, architecture = 2}, exports = 5,
    // capabilities = 6, init_err = 7 {code = 1, message = 2}
    vector(
      msg('containerd.services.introspection.v1.Plugin'),
      { type: 't', id: 'i', requires: ['r'], platforms: [{ os: 'linux', architecture: 'amd64', variant: 'v' }], exports: { k: 'v' }, capabilities: ['c'], initErr: { code: 2, message: 'm' } },
      '0a0174 120169 1a0172 2211 0a056c696e7578 1205616d643634 1a0176 2a06 0a016b 120176 320163 3a05 0802 12016d',
    );
    vector(INTROSPECTION_SERVICE.methods.Server.output, { uuid: 'u' }, '0a0175');
    vector(INTROSPECTION_SERVICE.methods.Plugins.input, { filters: ['f'] }, '0a0166');
  });
});
