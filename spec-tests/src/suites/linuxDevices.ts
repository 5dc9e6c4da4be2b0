// config-linux.md#devices, #default-devices and #allowed-device-list (the devices cgroup, or
// eBPF on cgroup v2: the probe only opens the device node, so it works for both).
import { defineTests, specUrl } from '../framework/testCase';
import { expectEqual, expectIncludes, expectMatch } from '../framework/assert';

/** busybox stat: name, type, major:minor in hex, octal mode. */
const STAT = "stat -c '%n %F %t:%T %a'";

export const linuxDevicesTests = defineTests([
  {
    id: 'devices.default',
    title: 'the default devices are supplied',
    section: specUrl('config-linux', 'default-devices'),
    level: 'MUST',
    async run(ctx) {
      const out = (await ctx.run(ctx.config(`${STAT} /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty 2>&1; ls -l /dev/ptmx 2>&1`))).stdout;
      const want: Record<string, string> = { null: '1:3', zero: '1:5', full: '1:7', random: '1:8', urandom: '1:9', tty: '5:0' };
      for (const [name, mm] of Object.entries(want)) {
        expectMatch(out, new RegExp(`^/dev/${name} character special file ${mm} `, 'm'), `/dev/${name}`);
      }
      expectMatch(out, /ptmx/, '/dev/ptmx');
      expectIncludes(out.split('\n').find((l) => l.includes('ptmx')) ?? '', 'ptmx', '/dev/ptmx');
    },
  },
  {
    id: 'devices.custom',
    title: 'a configured device node exists with its type, numbers and mode',
    section: specUrl('config-linux', 'devices'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config(`${STAT} /dev/strata-null && echo data > /dev/strata-null && echo written`);
      config.linux!.devices = [{ path: '/dev/strata-null', type: 'c', major: 1, minor: 3, fileMode: 0o640, uid: 0, gid: 0 }];
      const out = (await ctx.run(config)).stdout;
      expectMatch(out, /^\/dev\/strata-null character special file 1:3 640$/m, 'stat /dev/strata-null');
      expectIncludes(out, 'written', 'writing to the device');
    },
  },
  {
    id: 'devices.cgroup.deny',
    title: 'the allowed device list denies what it does not allow',
    section: specUrl('config-linux', 'allowed-device-list'),
    level: 'MUST',
    async run(ctx) {
      // /dev/fuse's numbers (c 10:229) are in no runtime's default allowances, and opening it needs no
      // capability (unlike /dev/kmsg or /dev/mem), so only the device list decides.
      const config = ctx.config('true < /dev/strata-fuse 2>/dev/null && echo opened || echo denied');
      config.linux!.devices = [{ path: '/dev/strata-fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
      config.linux!.resources = { devices: [{ allow: false, access: 'rwm' }] };
      expectEqual((await ctx.run(config)).stdout.trim().split('\n').pop(), 'denied', 'opening a device the list does not allow');
    },
  },
  {
    id: 'devices.cgroup.allow',
    title: 'the allowed device list allows what it lists',
    section: specUrl('config-linux', 'allowed-device-list'),
    level: 'MUST',
    async run(ctx) {
      const config = ctx.config('true < /dev/strata-fuse 2>/dev/null && echo opened || echo denied');
      config.linux!.devices = [{ path: '/dev/strata-fuse', type: 'c', major: 10, minor: 229, fileMode: 0o600, uid: 0, gid: 0 }];
      config.linux!.resources = {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 10, minor: 229, access: 'r' },
        ],
      };
      expectEqual((await ctx.run(config)).stdout.trim().split('\n').pop(), 'opened', 'opening an allowed device');
    },
  },
]);
