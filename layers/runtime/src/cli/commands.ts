// strata-runtime's commands and flags as data: runc 1.1's names, short forms and defaults.
import type { CommandSpec, FlagSpec } from './args';

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'debug', help: 'enable debug logging' },
  { name: 'log', value: 'value', help: 'set the log file to write runtime logs to (default is stderr)' },
  { name: 'log-format', value: 'value', default: 'text', help: 'set the log format (text or json)' },
  { name: 'root', value: 'value', default: '/run/strata-runtime', help: 'root directory for storage of container state' },
  { name: 'criu', value: 'value', default: 'criu', help: 'path to the criu binary used for checkpoint and restore' },
  { name: 'systemd-cgroup', help: 'enable systemd cgroup support (refused: strata-runtime drives cgroupfs)' },
  { name: 'rootless', value: 'value', default: 'auto', help: 'ignore cgroup permission errors (true, false or auto)' },
  // Listed by programHelp itself, next to --help.
  { name: 'version', short: 'v', help: 'print the version', hidden: true },
];

const bundle: FlagSpec = { name: 'bundle', short: 'b', value: 'value', default: '.', help: 'path to the root of the bundle directory' };
const consoleSocket: FlagSpec = { name: 'console-socket', value: 'value', help: 'path to an AF_UNIX socket which will receive the pty master' };
const pidFile: FlagSpec = { name: 'pid-file', value: 'value', help: 'specify the file to write the process id to' };
const noPivot: FlagSpec = { name: 'no-pivot', help: 'do not use pivot root to jail process inside rootfs' };
const noNewKeyring: FlagSpec = { name: 'no-new-keyring', help: 'do not create a new session keyring for the container' };
const preserveFds: FlagSpec = { name: 'preserve-fds', value: 'value', default: '0', help: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N)' };
const detach: FlagSpec = { name: 'detach', short: 'd', help: 'detach from the container\'s process' };
const format: FlagSpec = { name: 'format', short: 'f', value: 'value', default: 'table', help: 'select one of: table or json' };
const ID = '<container-id>';
/** CRIU options shared by checkpoint and restore (runc's names). */
const criuFlags: FlagSpec[] = [
  { name: 'tcp-established', help: 'allow open tcp connections' },
  { name: 'ext-unix-sk', help: 'allow external unix sockets' },
  { name: 'shell-job', help: 'allow shell jobs' },
  { name: 'file-locks', help: 'handle file locks, for safety' },
  { name: 'manage-cgroups-mode', value: 'value', help: 'cgroups mode: soft (default), ignore, full and strict' },
];

export const COMMANDS: CommandSpec[] = [
  {
    name: 'checkpoint',
    usage: 'checkpoint a running container (with CRIU)',
    args: ID,
    flags: [
      { name: 'image-path', value: 'value', help: 'path for saving criu image files (default ./checkpoint)' },
      { name: 'work-path', value: 'value', help: 'path for saving work files and logs (default: in the container state dir)' },
      { name: 'parent-path', value: 'value', help: 'path for previous criu image files in pre-dump (relative to the image path)' },
      { name: 'leave-running', help: 'leave the process running after checkpointing' },
      ...criuFlags,
      { name: 'page-server', value: 'value', help: 'ADDRESS:PORT of the page server (not supported)' },
      { name: 'lazy-pages', help: 'use userfaultfd to lazily restore memory pages (not supported)' },
      { name: 'status-fd', value: 'value', help: 'criu writes \\0 to this FD once lazy-pages is ready (not supported)' },
      { name: 'pre-dump', help: 'dump container\'s memory information only, leave the container running after this' },
      { name: 'auto-dedup', help: 'enable auto deduplication of memory images (not supported)' },
      { name: 'empty-ns', value: 'value', repeatable: true, help: 'create a namespace, but don\'t restore its properties (not supported)' },
    ],
  },
  { name: 'create', usage: 'create a container', args: ID, flags: [bundle, consoleSocket, pidFile, noPivot, noNewKeyring, preserveFds] },
  { name: 'delete', usage: 'delete any resources held by the container often used with detached container', args: ID, flags: [{ name: 'force', short: 'f', help: 'Forcibly deletes the container if it is still running (uses SIGKILL)' }] },
  {
    name: 'events',
    usage: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    args: ID,
    flags: [
      { name: 'interval', value: 'value', default: '5s', help: 'set the stats collection interval' },
      { name: 'stats', help: 'display the container\'s stats then exit' },
    ],
  },
  {
    name: 'exec',
    noReorder: true,
    usage: 'execute new process inside the container',
    args: `${ID} <command> [command options]  ||  -p process.json ${ID}`,
    flags: [
      consoleSocket,
      { name: 'cwd', value: 'value', help: 'current working directory in the container' },
      { name: 'env', short: 'e', value: 'value', repeatable: true, help: 'set environment variables' },
      { name: 'tty', short: 't', help: 'allocate a pseudo-TTY' },
      { name: 'user', short: 'u', value: 'value', help: 'UID (format: <uid>[:<gid>])' },
      { name: 'additional-gids', short: 'g', value: 'value', repeatable: true, help: 'additional gids' },
      { name: 'process', short: 'p', value: 'value', help: 'path to the process.json' },
      detach,
      pidFile,
      { name: 'process-label', value: 'value', help: 'set the asm process label for the process commonly used with selinux' },
      { name: 'apparmor', value: 'value', help: 'set the apparmor profile for the process' },
      { name: 'no-new-privs', help: 'set the no new privileges value for the process' },
      { name: 'cap', short: 'c', value: 'value', repeatable: true, help: 'add a capability to the bounding set for the process' },
      preserveFds,
      { name: 'cgroup', value: 'value', repeatable: true, help: 'run the process in an (existing) sub-cgroup(s) (not supported)' },
      { name: 'ignore-paused', help: 'allow exec in a paused container' },
    ],
  },
  { name: 'init', usage: 'initialize the namespaces and launch the process (internal to runc)', args: '', flags: [], hidden: true },
  { name: 'kill', usage: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process', args: `${ID} [signal]`, flags: [{ name: 'all', short: 'a', help: 'send the specified signal to all processes inside the container' }] },
  { name: 'list', aliases: ['ls'], usage: 'lists containers started by strata-runtime with the given root', args: '', flags: [format, { name: 'quiet', short: 'q', help: 'display only container IDs' }] },
  { name: 'pause', usage: 'pause suspends all processes inside the container', args: ID, flags: [] },
  { name: 'ps', usage: 'ps displays the processes running inside a container', args: `${ID} [ps options]`, flags: [{ ...format }], noReorder: true },
  {
    name: 'restore',
    usage: 'restore a container from a previous checkpoint (with CRIU)',
    args: ID,
    flags: [
      consoleSocket,
      { name: 'image-path', value: 'value', help: 'path to criu image files for restoring (default ./checkpoint)' },
      { name: 'work-path', value: 'value', help: 'path for saving work files and logs (default: in the container state dir)' },
      ...criuFlags,
      bundle,
      detach,
      pidFile,
      { name: 'no-subreaper', help: 'disable the use of the subreaper used to reap reparented processes' },
      noPivot,
      { name: 'empty-ns', value: 'value', repeatable: true, help: 'create a namespace, but don\'t restore its properties (not supported)' },
      { name: 'auto-dedup', help: 'enable auto deduplication of memory images (not supported)' },
      { name: 'lazy-pages', help: 'use userfaultfd to lazily restore memory pages (not supported)' },
      { name: 'lsm-profile', value: 'value', help: 'Specify an LSM profile to be used during restore (not supported)' },
    ],
  },
  { name: 'resume', usage: 'resumes all processes that have been previously paused', args: ID, flags: [] },
  {
    name: 'run',
    usage: 'create and run a container',
    args: ID,
    flags: [bundle, consoleSocket, detach, { name: 'keep', help: 'do not delete the container after it exits' }, pidFile, { name: 'no-subreaper', help: 'disable the use of the subreaper used to reap reparented processes' }, noPivot, noNewKeyring, preserveFds],
  },
  { name: 'spec', usage: 'create a new specification file', args: '', flags: [bundle, { name: 'rootless', help: 'generate a configuration for a rootless container' }] },
  { name: 'start', usage: 'executes the user defined process in a created container', args: ID, flags: [] },
  { name: 'state', usage: 'output the state of a container', args: ID, flags: [] },
  {
    name: 'update',
    usage: 'update container resource constraints',
    args: ID,
    flags: [
      { name: 'resources', short: 'r', value: 'value', help: 'path to the file containing the resources to update or \'-\' to read from the standard input' },
      { name: 'blkio-weight', value: 'value', help: 'Specifies per cgroup weight, range is from 10 to 1000' },
      { name: 'cpu-period', value: 'value', help: 'CPU CFS period to be used for hardcapping (in usecs). 0 to use system default' },
      { name: 'cpu-quota', value: 'value', help: 'CPU CFS hardcap limit (in usecs). Allowed cpu time in a given period' },
      { name: 'cpu-share', value: 'value', help: 'CPU shares (relative weight vs. other containers)' },
      { name: 'cpu-rt-period', value: 'value', help: 'CPU realtime period to be used for hardcapping (in usecs)' },
      { name: 'cpu-rt-runtime', value: 'value', help: 'CPU realtime hardcap limit (in usecs)' },
      { name: 'cpuset-cpus', value: 'value', help: 'CPU(s) to use' },
      { name: 'cpuset-mems', value: 'value', help: 'Memory node(s) to use' },
      { name: 'kernel-memory', value: 'value', help: 'Kernel memory limit (in bytes) (deprecated)' },
      { name: 'kernel-memory-tcp', value: 'value', help: 'Kernel memory limit (in bytes) for tcp buffer (deprecated)' },
      { name: 'memory', value: 'value', help: 'Memory limit (in bytes)' },
      { name: 'memory-reservation', value: 'value', help: 'Memory reservation or soft_limit (in bytes)' },
      { name: 'memory-swap', value: 'value', help: 'Total memory usage (memory + swap); set \'-1\' to enable unlimited swap' },
      { name: 'pids-limit', value: 'value', help: 'Maximum number of pids allowed in the container' },
      { name: 'l3-cache-schema', value: 'value', help: 'The string of Intel RDT/CAT L3 cache schema (not supported)' },
      { name: 'mem-bw-schema', value: 'value', help: 'The string of Intel RDT/MBA memory bandwidth schema (not supported)' },
    ],
  },
  { name: 'features', usage: 'show the enabled features', args: '', flags: [] },
];
