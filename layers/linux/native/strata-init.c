/*
 * strata-init: a tiny, single-threaded executor of a container "plan".
 *
 * Why this exists (see layers/linux/README.md, "The init helper"):
 *   Node.js is multi-threaded, so it cannot unshare(CLONE_NEWUSER), cannot setns() into a mount
 *   namespace, and forking V8 is unsafe. runc has the same problem with Go and solves it with a C
 *   program (nsexec) that runs before the Go runtime starts. Strata keeps *every decision* in
 *   TypeScript (layers/runtime computes the plan: which namespaces, which mounts, which
 *   capabilities, the seccomp BPF bytes...) and this program only *executes* the plan, one
 *   primitive operation (op) at a time, in order. `strata-runtime create --print-plan` shows a
 *   plan to students in readable form.
 *
 * Protocol on the control socket (an AF_UNIX stream socket the runtime passes as fd
 * $STRATA_INIT_FD, default 3): messages are [u32 type][u32 length][payload], little endian.
 *   runtime -> init : PLAN (the ops), CONTINUE (after hooks; payload = container state JSON)
 *   init -> runtime : PID (host pid of the container process), HOOKS (waiting at the hooks point),
 *                     READY (set-up done), ERROR (text), EXEC (tracing only: about to execve; the
 *                     socket then closes on exec, which tells the runtime execve succeeded)
 *
 * Two processes run the plan:
 *   P (this process) runs the ops up to CLONE: it joins cgroups and existing namespaces, then
 *     clone()s the child with the new namespaces (the only way to get a new pid namespace whose
 *     pid 1 is the container, and to create a user namespace whose maps P can write).
 *   C (the child) runs the remaining ops: mounts, pivot_root, identity, capabilities, the exec fifo
 *     wait, seccomp and finally execve() of the container process.
 * P either exits right after the clone (detached: the container is re-parented to the caller's
 * subreaper, e.g. the shim) or waits for C and exits with C's status (foreground run/exec).
 *
 * Plan encoding: a sequence of ops; each op is [u16 opcode][u16 argc] then argc arguments, each
 * [u32 length][bytes]. Numbers travel as decimal text (or 0x-prefixed hex), so a plan can be
 * printed and read by a person.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

/* ---- message types (keep in sync with layers/linux/src/init/protocol.ts) ---- */
enum { MSG_PLAN = 1, MSG_CONTINUE = 2, MSG_PID = 10, MSG_HOOKS = 11, MSG_READY = 12, MSG_ERROR = 13, MSG_EXEC = 14 };

/* ---- opcodes (keep in sync with layers/linux/src/init/ops.ts) ---- */
enum {
  OP_JOIN_CGROUP = 1,     /* procs-file [fallback]                       write our pid into cgroup.procs */
  OP_SETNS = 2,           /* path nstype                                 setns(open(path), nstype) */
  OP_UNSHARE = 3,         /* flags                                       unshare(flags) (time ns) */
  OP_WRITE_FILE = 4,      /* path content                                open O_WRONLY + write (no create) */
  OP_CLONE = 5,           /* flags wait uidmap gidmap setgroups          clone the child; P stops here */
  OP_MOUNT = 6,           /* source target fstype flags data             mount(2) at a host/absolute path */
  OP_MOUNT_IN_ROOT = 7,   /* source target fstype flags data create      mount(2) on a path resolved inside the root */
  OP_OPEN_ROOT = 8,       /* path                                        remember the rootfs dir fd for *_IN_ROOT ops */
  OP_MKDIR_IN_ROOT = 9,   /* path mode                                   mkdir -p inside the root */
  OP_MKNOD_IN_ROOT = 10,  /* path mode dev uid gid                       mknod inside the root (no replace) */
  OP_SYMLINK_IN_ROOT = 11,/* target linkpath                             symlink inside the root (EEXIST ok) */
  OP_HOOKS_POINT = 12,    /*                                             send HOOKS, wait CONTINUE (state JSON) */
  OP_HOOK = 13,           /* path timeout argc args... envc env...       run a hook with the state on stdin */
  OP_PIVOT_ROOT = 14,     /* rootfs                                      pivot_root(".", ".") + detach old root */
  OP_MOVE_ROOT = 15,      /* rootfs                                      --no-pivot: MS_MOVE + chroot */
  OP_MASK_PATH = 16,      /* path                                        /dev/null (file) or ro tmpfs (dir) over path */
  OP_READONLY_PATH = 17,  /* path                                        bind + remount read-only */
  OP_REMOUNT = 18,        /* path addflags                               remount keeping locked flags (statvfs) */
  OP_SETHOSTNAME = 19,    /* name */
  OP_SETDOMAINNAME = 20,  /* name */
  OP_SETRLIMIT = 21,      /* resource soft hard */
  OP_UMASK = 22,          /* mode */
  OP_CAPS_BOUNDING = 23,  /* keep-mask (hex)                             PR_CAPBSET_DROP every cap not in mask */
  OP_KEEPCAPS = 24,       /* 0|1                                         PR_SET_KEEPCAPS */
  OP_SETGROUPS = 25,      /* gid...                                      setgroups(2) */
  OP_SETRESGID = 26,      /* gid */
  OP_SETRESUID = 27,      /* uid */
  OP_CAPSET = 28,         /* effective permitted inheritable (hex) */
  OP_AMBIENT = 29,        /* mask (hex)                                  PR_CAP_AMBIENT_RAISE each */
  OP_NO_NEW_PRIVS = 30,
  OP_SECCOMP = 31,        /* flags program-bytes                         seccomp(SET_MODE_FILTER) */
  OP_CHDIR = 32,          /* path */
  OP_CONSOLE_CONNECT = 33,/* socket-path | "fd:N"                        connect to the console socket */
  OP_CONSOLE_SETUP = 34,  /* rows cols uid gid                           new pty, send master, slave -> 0,1,2 */
  OP_OPEN_SLOT = 35,      /* slot path                                   keep an O_PATH fd (e.g. state dir) */
  OP_FIFO_WAIT = 36,      /* slot name                                   open the exec fifo for writing: blocks until `start` */
  OP_READY = 37,          /*                                             send READY */
  OP_LOOKUP = 38,         /* name pathenv                                find the executable like execvp */
  OP_EXEC = 39,           /* argc args... envc env...                    execve the looked-up path */
  OP_SETSID = 40,
  OP_SET_PDEATHSIG = 41,  /* signal */
  OP_MAKE_PRIVATE = 42,   /* path                                        make the mount containing path private */
  OP_CHROOT_CHECK = 43,   /* unused placeholder kept for numbering stability */
  OP_MOUNT_BIND_SELF = 44,/* path flags                                  bind a path onto itself (rootfs) */
  OP_JOIN_KEYRING = 45,   /* name                                        a fresh session keyring (keyrings(7)) */
  OP_REOPEN_DEV_NULL = 46,/*                                             stdio on the host's /dev/null -> the container's */
};

static int ctl_fd = 3;          /* the control socket */
static int root_fd = -1;        /* OP_OPEN_ROOT */
static int console_sock = -1;   /* OP_CONSOLE_CONNECT */
static int slots[8];            /* OP_OPEN_SLOT */
static char *state_json;        /* from CONTINUE, for hooks */
static size_t state_len;
static char exec_path[PATH_MAX];/* OP_LOOKUP */
static int after_ready;         /* once READY is sent the runtime may be gone: report on stderr */
static const char *cur_op = "start";
static int exec_fifo_fd = -1;   /* tracing only: exec.fifo kept open until execve (see op_fifo_wait) */

/* ---------------------------------------------------------------- tracing (STRATA_TRACE)
 * When the runtime traces (STRATA_TRACE=<file>), it passes us the file and the container's ids
 * (STRATA_TRACE_IDS, a JSON object), and we append one JSON line per key syscall, in the format of
 * layers/linux/src/trace/trace.ts. The file is opened before anything else (its path is out of
 * reach after pivot_root, the descriptor is not) with O_CLOEXEC, so the container never inherits
 * it. Each line is one write(2) on an O_APPEND descriptor, so the lines of the runtime, of this
 * process and of its child interleave whole. A line is written after the syscall returned: it
 * records what the kernel did, with its answer. */
static int trace_fd = -1;
static const char *trace_ids = "{}";
static const char *trace_by = "strata-init, the runtime's C helper";

static double trace_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Append s to buf (JSON-escaped when `escape`), always leaving room for the line's end. */
static void trace_put(char *buf, size_t cap, size_t *pos, const char *s, int escape) {
  for (; *s && *pos + 16 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (escape && (c == '"' || c == '\\')) {
      buf[(*pos)++] = '\\';
      buf[(*pos)++] = (char)c;
    } else if (escape && c < 0x20) {
      *pos += (size_t)snprintf(buf + *pos, cap - *pos, "\\u%04x", c);
    } else {
      buf[(*pos)++] = (char)c;
    }
  }
  buf[*pos] = 0;
}

/* One line for syscall `op` that started at `start`: err is 0 (ok) or the errno it failed with;
 * the detail (printf-style, may be NULL) is a short hint for a person: a mount target, flags. */
static void trace_syscall(const char *op, double start, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void trace_syscall(const char *op, double start, int err, const char *fmt, ...) {
  if (trace_fd < 0) return;
  int saved = errno;
  char detail[512] = "", line[2048], head[128];
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
  }
  size_t pos = 0;
  snprintf(head, sizeof head, "{\"ts\":%.3f,\"end\":%.3f,", start, trace_now());
  trace_put(line, sizeof line, &pos, head, 0);
  trace_put(line, sizeof line, &pos, "\"layer\":\"runtime\",\"from\":\"strata-runtime\",\"to\":\"kernel\",\"protocol\":\"syscall\",\"op\":\"", 0);
  trace_put(line, sizeof line, &pos, op, 1);
  trace_put(line, sizeof line, &pos, "\",\"ids\":", 0);
  trace_put(line, sizeof line, &pos, trace_ids, 0);
  trace_put(line, sizeof line, &pos, ",\"result\":\"", 0);
  trace_put(line, sizeof line, &pos, err ? "error: " : "ok", 0);
  if (err) trace_put(line, sizeof line, &pos, strerror(err), 1);
  if (detail[0]) {
    trace_put(line, sizeof line, &pos, "\",\"detail\":\"", 0);
    trace_put(line, sizeof line, &pos, detail, 1);
  }
  trace_put(line, sizeof line, &pos, "\",\"by\":\"", 0);
  trace_put(line, sizeof line, &pos, trace_by, 1);
  memcpy(line + pos, "\"}\n", 4); /* trace_put kept room for it */
  pos += 3;
  ssize_t n = write(trace_fd, line, pos);
  (void)n;
  errno = saved;
}

static void trace_open(void) {
  const char *file = getenv("STRATA_TRACE");
  if (!file || !*file) return;
  int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return; /* tracing never stops a container */
  /* Far above the fds the plan hands to the container (stdio, --preserve-fds, console). */
  trace_fd = fcntl(fd, F_DUPFD_CLOEXEC, 100);
  close(fd);
  const char *ids = getenv("STRATA_TRACE_IDS");
  if (ids && *ids == '{') trace_ids = ids;
}

/* Namespace flags as names, for the clone/unshare/setns lines. */
static const char *ns_names(unsigned long flags) {
  static char out[96];
  static const struct { unsigned long flag; const char *name; } ns[] = {
      {CLONE_NEWNS, "mnt"}, {CLONE_NEWUTS, "uts"}, {CLONE_NEWIPC, "ipc"}, {CLONE_NEWPID, "pid"},
      {CLONE_NEWNET, "net"}, {CLONE_NEWCGROUP, "cgroup"}, {CLONE_NEWUSER, "user"}, {0x80 /* CLONE_NEWTIME */, "time"},
  };
  out[0] = 0;
  for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
    if (!(flags & ns[i].flag)) continue;
    if (out[0]) strcat(out, " ");
    strcat(out, ns[i].name);
  }
  return out;
}

/* What kind of mount(2) call this is, in the words of mount(8). */
static const char *mount_kind(unsigned long flags, const char *fstype) {
  if (flags & MS_REMOUNT) return flags & MS_RDONLY ? "remount ro" : "remount";
  if (flags & MS_BIND) return "bind";
  if (flags & MS_MOVE) return "move";
  if (flags & (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)) return "propagation";
  return *fstype ? fstype : "none";
}

/* ---------------------------------------------------------------- messages */

static int write_all(int fd, const void *buf, size_t len) {
  const char *p = buf;
  while (len > 0) {
    ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
    if (n < 0 && errno == ENOTSOCK) n = write(fd, p, len);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int read_all(int fd, void *buf, size_t len) {
  char *p = buf;
  while (len > 0) {
    ssize_t n = read(fd, p, len);
    if (n == 0) return -1;
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    p += n;
    len -= (size_t)n;
  }
  return 0;
}

static int send_msg(uint32_t type, const void *payload, uint32_t len) {
  uint32_t hdr[2] = {type, len};
  if (write_all(ctl_fd, hdr, sizeof hdr) < 0) return -1;
  if (len && write_all(ctl_fd, payload, len) < 0) return -1;
  return 0;
}

static char *recv_msg(uint32_t want, uint32_t *len_out) {
  uint32_t hdr[2];
  if (read_all(ctl_fd, hdr, sizeof hdr) < 0) return NULL;
  if (hdr[0] != want || hdr[1] > (64u << 20)) return NULL;
  char *buf = malloc(hdr[1] + 1);
  if (!buf) return NULL;
  if (hdr[1] && read_all(ctl_fd, buf, hdr[1]) < 0) return NULL;
  buf[hdr[1]] = 0;
  *len_out = hdr[1];
  return buf;
}

/* Report an error to the runtime (or, after READY, to stderr) and exit. */
static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...) {
  char msg[4096];
  int saved = errno;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof msg) n = sizeof msg - 1;
  (void)saved;
  if (after_ready || send_msg(MSG_ERROR, msg, (uint32_t)n) < 0) {
    dprintf(2, "strata-init: %s\n", msg);
  }
  _exit(1);
}

#define DIE_ERRNO(fmt, ...) die("%s: " fmt ": %s", cur_op, ##__VA_ARGS__, strerror(errno))

/* ---------------------------------------------------------------- plan decoding */

typedef struct {
  uint16_t code;
  uint16_t argc;
  char **argv;      /* NUL-terminated copies */
  uint32_t *argl;   /* lengths (for binary args such as the BPF program) */
} op_t;

static op_t *ops;
static size_t nops;

static void decode_plan(const char *buf, uint32_t len) {
  size_t cap = 64, off = 0;
  ops = calloc(cap, sizeof *ops);
  while (off < len) {
    if (len - off < 4) die("plan: truncated op header at byte %zu", off);
    op_t op;
    memcpy(&op.code, buf + off, 2);
    memcpy(&op.argc, buf + off + 2, 2);
    off += 4;
    op.argv = calloc(op.argc + 1u, sizeof(char *));
    op.argl = calloc(op.argc + 1u, sizeof(uint32_t));
    for (unsigned i = 0; i < op.argc; i++) {
      uint32_t l;
      if (len - off < 4) die("plan: truncated argument length at byte %zu", off);
      memcpy(&l, buf + off, 4);
      off += 4;
      if (len - off < l) die("plan: truncated argument at byte %zu", off);
      op.argv[i] = malloc(l + 1u);
      memcpy(op.argv[i], buf + off, l);
      op.argv[i][l] = 0;
      op.argl[i] = l;
      off += l;
    }
    if (nops == cap) ops = realloc(ops, (cap *= 2) * sizeof *ops);
    ops[nops++] = op;
  }
}

static unsigned long long num(const op_t *op, unsigned i) {
  if (i >= op->argc) die("%s: missing argument %u", cur_op, i);
  errno = 0;
  char *end;
  unsigned long long v = strtoull(op->argv[i], &end, 0);
  if (errno || *end) die("%s: argument %u is not a number: %s", cur_op, i, op->argv[i]);
  return v;
}

static long long snum(const op_t *op, unsigned i) {
  if (i >= op->argc) die("%s: missing argument %u", cur_op, i);
  errno = 0;
  char *end;
  long long v = strtoll(op->argv[i], &end, 0);
  if (errno || *end) die("%s: argument %u is not a number: %s", cur_op, i, op->argv[i]);
  return v;
}

static const char *str(const op_t *op, unsigned i) {
  if (i >= op->argc) die("%s: missing argument %u", cur_op, i);
  return op->argv[i];
}

/* Arguments "argc a1 a2 ... envc e1 e2 ...": returns a NULL-terminated vector. */
static char **vec(const op_t *op, unsigned *pos) {
  unsigned n = (unsigned)num(op, *pos);
  if (*pos + 1 + n > op->argc) die("%s: vector overruns the op", cur_op);
  char **v = calloc(n + 1u, sizeof(char *));
  for (unsigned i = 0; i < n; i++) v[i] = op->argv[*pos + 1 + i];
  *pos += 1 + n;
  return v;
}

/* ---------------------------------------------------------------- paths inside the root */

/* openat2(RESOLVE_IN_ROOT): every path component, including symlinks and "..", is resolved as
 * if root_fd were "/" — a symlink in the image pointing at /etc or ../../ cannot escape the
 * container's root. This is what runc's securejoin achieves; the kernel does it for us (5.6+). */
static int open_in_root(const char *path, int flags) {
  struct open_how how = {.flags = (uint64_t)flags | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (!*path) path = ".";
  return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof how);
}

/* mkdir -p, each component created relative to an fd resolved inside the root. */
static int mkdir_in_root(const char *path, mode_t mode) {
  char buf[PATH_MAX];
  if (strlen(path) >= sizeof buf) {
    errno = ENAMETOOLONG;
    return -1;
  }
  strcpy(buf, path);
  for (char *p = buf + 1;; p++) {
    if (*p == '/' || *p == 0) {
      char save = *p;
      *p = 0;
      int fd = open_in_root(buf, O_PATH | O_DIRECTORY);
      if (fd < 0) {
        if (errno != ENOENT) return -1;
        char *slash = strrchr(buf, '/');
        const char *name = slash ? slash + 1 : buf;
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - buf) : 0, buf);
        int pfd = open_in_root(parent[0] ? parent : "/", O_PATH | O_DIRECTORY);
        if (pfd < 0) return -1;
        if (mkdirat(pfd, name, mode) < 0 && errno != EEXIST) {
          close(pfd);
          return -1;
        }
        close(pfd);
      } else {
        close(fd);
      }
      *p = save;
      if (!save) break;
    }
  }
  return 0;
}

/* Split "a/b/c" into an fd for the parent "a/b" (inside the root, created) and the name "c". */
static int parent_in_root(const char *path, char *name, size_t namelen) {
  char buf[PATH_MAX];
  snprintf(buf, sizeof buf, "%s", path);
  char *slash = strrchr(buf, '/');
  if (!slash) {
    if (strlen(buf) >= namelen) {
      errno = ENAMETOOLONG;
      return -1;
    }
    memcpy(name, buf, strlen(buf) + 1);
    return open_in_root("/", O_PATH | O_DIRECTORY);
  }
  if (strlen(slash + 1) >= namelen) {
    errno = ENAMETOOLONG;
    return -1;
  }
  memcpy(name, slash + 1, strlen(slash + 1) + 1);
  *slash = 0;
  if (mkdir_in_root(buf[0] ? buf : "/", 0755) < 0) return -1;
  return open_in_root(buf[0] ? buf : "/", O_PATH | O_DIRECTORY);
}

static char fdpath[64];
static const char *proc_fd(int fd) {
  snprintf(fdpath, sizeof fdpath, "/proc/self/fd/%d", fd);
  return fdpath;
}

/* ---------------------------------------------------------------- operations */

static unsigned long locked_flags(const char *path);

static void op_mount_in_root(const op_t *op) {
  const char *src = str(op, 0), *target = str(op, 1), *fstype = str(op, 2), *data = str(op, 4);
  unsigned long flags = (unsigned long)num(op, 3);
  const char *create = str(op, 5);
  if (root_fd < 0) die("%s: no root opened", cur_op);
  if (!strcmp(create, "dir")) {
    if (mkdir_in_root(target, 0755) < 0) DIE_ERRNO("mkdir %s", target);
  } else if (!strcmp(create, "file")) {
    char name[NAME_MAX + 1];
    int pfd = parent_in_root(target, name, sizeof name);
    if (pfd < 0) DIE_ERRNO("mkdir parent of %s", target);
    int fd = openat(pfd, name, O_CREAT | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0 && errno != EEXIST && errno != ELOOP && errno != EISDIR) DIE_ERRNO("create %s", target);
    if (fd >= 0) close(fd);
    close(pfd);
  }
  /* Open the target inside the root and mount on the magic link: the kernel mounts on exactly the
   * inode we resolved, so a symlink swapped in after the check cannot redirect the mount. */
  int tfd = open_in_root(target, O_PATH);
  if (tfd < 0) DIE_ERRNO("resolve %s inside the root", target);
  if (flags & MS_REMOUNT) flags |= locked_flags(proc_fd(tfd)) & ~(unsigned long)MS_RDONLY;
  double t0 = trace_now();
  int rc = mount(*src ? src : NULL, proc_fd(tfd), *fstype ? fstype : NULL, flags, *data ? data : NULL);
  trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (%s)", target, mount_kind(flags, fstype));
  if (rc < 0) {
    int e = errno;
    close(tfd);
    errno = e;
    DIE_ERRNO("mount %s on %s (type %s, flags 0x%lx, data \"%s\")", *src ? src : "none", target,
              *fstype ? fstype : "none", flags, data);
  }
  close(tfd);
}

/* Flags a remount must keep: in a user namespace the kernel locks nosuid/nodev/noexec/ro/atime
 * flags inherited from the parent namespace, and a remount that drops them fails with EPERM. */
static unsigned long locked_flags(const char *path) {
  struct statvfs s;
  if (statvfs(path, &s) < 0) return 0;
  unsigned long f = 0;
  if (s.f_flag & ST_NOSUID) f |= MS_NOSUID;
  if (s.f_flag & ST_NODEV) f |= MS_NODEV;
  if (s.f_flag & ST_NOEXEC) f |= MS_NOEXEC;
  if (s.f_flag & ST_NOATIME) f |= MS_NOATIME;
  if (s.f_flag & ST_NODIRATIME) f |= MS_NODIRATIME;
  if (s.f_flag & ST_RELATIME) f |= MS_RELATIME;
  if (s.f_flag & ST_RDONLY) f |= MS_RDONLY;
  return f;
}

static void op_mask_path(const char *path) {
  /* runtime-spec config-linux.md#masked-paths: the path must not be readable. A file gets /dev/null
   * bound over it, a directory an empty read-only tmpfs. Missing paths are fine. */
  struct stat st;
  if (lstat(path, &st) < 0) {
    if (errno == ENOENT) return;
    DIE_ERRNO("stat %s", path);
  }
  double t0 = trace_now();
  int dir = S_ISDIR(st.st_mode);
  int rc = dir ? mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0k,mode=0755") : mount("/dev/null", path, NULL, MS_BIND, NULL);
  trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (masked with %s)", path, dir ? "an empty tmpfs" : "/dev/null");
  if (rc < 0) DIE_ERRNO("mask %s", path);
}

static void op_readonly_path(const char *path) {
  /* config-linux.md#readonly-paths: bind the path onto itself, then remount it read-only. */
  double t0 = trace_now();
  if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0) {
    if (errno == ENOENT) return;
    trace_syscall("mount", t0, errno, "%s (bind)", path);
    DIE_ERRNO("bind %s", path);
  }
  trace_syscall("mount", t0, 0, "%s (bind)", path);
  t0 = trace_now();
  int rc = mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), NULL);
  trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (remount ro)", path);
  if (rc < 0) DIE_ERRNO("remount %s read-only", path);
}

static void op_pivot_root(const char *rootfs) {
  /* pivot_root(".", "."): the old root ends up stacked under the new one at "/", and a lazy
   * unmount of "." removes it, so no host path stays reachable (pivot_root(2) NOTES). */
  int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0) DIE_ERRNO("open /");
  int newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0) DIE_ERRNO("open %s", rootfs);
  if (fchdir(newroot) < 0) DIE_ERRNO("chdir %s", rootfs);
  double t0 = trace_now();
  long rc = syscall(SYS_pivot_root, ".", ".");
  trace_syscall("pivot_root", t0, rc < 0 ? errno : 0, "rootfs becomes /: %s", rootfs);
  if (rc < 0) DIE_ERRNO("pivot_root %s", rootfs);
  if (fchdir(oldroot) < 0) DIE_ERRNO("chdir old root");
  /* Make the old root a slave so the unmount below does not propagate to the host. */
  t0 = trace_now();
  rc = mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL);
  trace_syscall("mount", t0, rc < 0 ? errno : 0, "old root (rslave propagation)");
  if (rc < 0) DIE_ERRNO("make old root rslave");
  t0 = trace_now();
  rc = umount2(".", MNT_DETACH);
  trace_syscall("umount2", t0, rc < 0 ? errno : 0, "old root (MNT_DETACH)");
  if (rc < 0) DIE_ERRNO("detach old root");
  if (chdir("/") < 0) DIE_ERRNO("chdir /");
  close(oldroot);
  close(newroot);
}

static void op_move_root(const char *rootfs) {
  /* --no-pivot (e.g. a ramfs root where pivot_root is impossible): move the rootfs mount over "/"
   * and chroot into it. Weaker: the old root is still mounted underneath. */
  if (chdir(rootfs) < 0) DIE_ERRNO("chdir %s", rootfs);
  double t0 = trace_now();
  int rc = mount(rootfs, "/", NULL, MS_MOVE, NULL);
  trace_syscall("mount", t0, rc < 0 ? errno : 0, "rootfs moved onto /: %s", rootfs);
  if (rc < 0) DIE_ERRNO("move %s to /", rootfs);
  t0 = trace_now();
  rc = chroot(".");
  trace_syscall("chroot", t0, rc < 0 ? errno : 0, "rootfs becomes / (--no-pivot)");
  if (rc < 0) DIE_ERRNO("chroot");
  if (chdir("/") < 0) DIE_ERRNO("chdir /");
}

static void run_hook(const op_t *op) {
  /* runtime-spec config.md#posix-platform-hooks: the container state is written to the hook's
   * stdin; a non-zero exit or a timeout is an error. */
  unsigned pos = 2;
  const char *path = str(op, 0);
  long long timeout = snum(op, 1);
  char **argv = vec(op, &pos);
  char **envp = vec(op, &pos);
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) DIE_ERRNO("pipe");
  pid_t pid = fork();
  if (pid < 0) DIE_ERRNO("fork hook %s", path);
  if (pid == 0) {
    dup2(p[0], 0);
    execve(path, argv[0] ? argv : (char *[]){(char *)path, NULL}, envp);
    dprintf(2, "strata-init: hook %s: exec: %s\n", path, strerror(errno));
    _exit(127);
  }
  close(p[0]);
  if (state_json) write_all(p[1], state_json, state_len);
  close(p[1]);
  struct timespec start, now, nap = {0, 2 * 1000 * 1000};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return;
      if (WIFEXITED(status)) die("%s: hook %s exited with status %d", cur_op, path, WEXITSTATUS(status));
      die("%s: hook %s killed by signal %d", cur_op, path, WTERMSIG(status));
    }
    if (r < 0 && errno != EINTR) DIE_ERRNO("wait hook %s", path);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (timeout > 0 && now.tv_sec - start.tv_sec >= timeout) {
      kill(pid, SIGKILL);
      waitpid(pid, NULL, 0);
      die("%s: hook %s timed out after %llds", cur_op, path, timeout);
    }
    nanosleep(&nap, NULL);
  }
}

static void send_fd(int sock, int fd, const char *name) {
  char cbuf[CMSG_SPACE(sizeof(int))];
  memset(cbuf, 0, sizeof cbuf);
  struct iovec iov = {.iov_base = (void *)name, .iov_len = strlen(name)};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof(int));
  if (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) DIE_ERRNO("send pty master over the console socket");
}

static void op_console_setup(const op_t *op) {
  /* The pty is created inside the container (from its own /dev/ptmx, so the slave is
   * /dev/pts/N there) and the master is handed to whoever listens on --console-socket
   * (SCM_RIGHTS), as runc does; the slave becomes the process's controlling terminal. */
  unsigned rows = (unsigned)num(op, 0), cols = (unsigned)num(op, 1);
  uid_t uid = (uid_t)num(op, 2);
  gid_t gid = (gid_t)num(op, 3);
  if (console_sock < 0) die("%s: no console socket", cur_op);
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) DIE_ERRNO("open /dev/ptmx");
  if (grantpt(master) < 0 || unlockpt(master) < 0) DIE_ERRNO("unlock pty");
  char name[128];
  if (ptsname_r(master, name, sizeof name) != 0) DIE_ERRNO("ptsname");
  int slave = open(name, O_RDWR | O_NOCTTY);
  if (slave < 0) DIE_ERRNO("open %s", name);
  if (fchown(slave, uid, gid) < 0 && errno != EINVAL) DIE_ERRNO("chown %s", name);
  if (rows && cols) {
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    ioctl(master, TIOCSWINSZ, &ws);
  }
  send_fd(console_sock, master, name);
  close(master);
  close(console_sock);
  console_sock = -1;
  if (setsid() < 0 && errno != EPERM) DIE_ERRNO("setsid");
  if (ioctl(slave, TIOCSCTTY, 0) < 0) DIE_ERRNO("set controlling terminal");
  for (int i = 0; i < 3; i++)
    if (dup3(slave, i, 0) < 0) DIE_ERRNO("dup pty to fd %d", i);
  if (slave > 2) close(slave);
}

static void op_lookup(const char *name, const char *pathenv) {
  /* Like execvp(3): a name with a slash is used as is, otherwise each $PATH entry (the
   * container's PATH, from process.env) is tried. Done before READY so `create` fails for a
   * missing executable, as runc does. */
  if (strchr(name, '/')) {
    /* worded like runc (Go's exec.LookPath), which callers and users know */
    if (access(name, X_OK) < 0) die("exec: \"%s\": stat %s: %s", name, name, errno == ENOENT ? "no such file or directory" : strerror(errno));
    snprintf(exec_path, sizeof exec_path, "%s", name);
    return;
  }
  const char *p = pathenv;
  int saw_eacces = 0;
  while (p && *p) {
    const char *colon = strchr(p, ':');
    size_t len = colon ? (size_t)(colon - p) : strlen(p);
    snprintf(exec_path, sizeof exec_path, "%.*s/%s", (int)len, len ? p : ".", name);
    struct stat st;
    if (stat(exec_path, &st) == 0 && S_ISREG(st.st_mode)) {
      if (access(exec_path, X_OK) == 0) return;
      saw_eacces = 1;
    }
    if (!colon) break;
    p = colon + 1;
  }
  if (saw_eacces) die("exec: \"%s\": permission denied", name);
  die("exec: \"%s\": executable file not found in $PATH", name);
}

/* Tracing: a short note on the kept exec.fifo. If `start` already went away the write fails with
 * EPIPE: the SIGPIPE it raises is blocked and discarded, so it can never kill the container. */
static void fifo_note(const char *b) {
  if (exec_fifo_fd < 0) return;
  sigset_t pipe_set, old;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  sigprocmask(SIG_BLOCK, &pipe_set, &old);
  ssize_t n = write(exec_fifo_fd, b, strlen(b));
  (void)n;
  struct timespec zero = {0, 0};
  while (sigtimedwait(&pipe_set, NULL, &zero) > 0) {
  }
  sigprocmask(SIG_SETMASK, &old, NULL);
}

static void op_fifo_wait(int slot, const char *name) {
  /* runtime-spec runtime.md#start: the process must not run before `start`. Opening a FIFO for
   * writing blocks until a reader opens it: `strata-runtime start` is that reader. We open it
   * relative to the state directory fd kept before pivot_root (no /proc needed, and the
   * directory is 0711 so an unprivileged container user can still reach the 0622 fifo). */
  if (slot < 0 || slot >= 8 || slots[slot] < 0) die("%s: slot %d is not open", cur_op, slot);
  double t0 = trace_now();
  int fd = openat(slots[slot], name, O_WRONLY | O_CLOEXEC);
  trace_syscall("openat", t0, fd < 0 ? errno : 0, "%s for writing: waits until start opens it", name);
  if (fd < 0) DIE_ERRNO("open exec fifo");
  if (write(fd, "0", 1) != 1) DIE_ERRNO("write exec fifo");
  /* Tracing: keep the fifo open (it is O_CLOEXEC) until execve. `start` reads it to the end: an
   * "x" then end-of-file means execve succeeded (the kernel closed the fd), so `start` can record
   * the container's execve truthfully, as runc's start also returns only once its init has exec'd. */
  if (trace_fd >= 0) exec_fifo_fd = fd;
  else close(fd);
  close(slots[slot]);
  slots[slot] = -1;
}

static void write_maps(pid_t child, const op_t *op) {
  /* user_namespaces(7): uid_map/gid_map of a new user namespace can only be written once, by a
   * process in the parent namespace with CAP_SETUID/CAP_SETGID: that is P, right after clone.
   * The maps arrive as "inside outside count" lines joined by '\n'. */
  char path[64];
  const char *uidmap = str(op, 2), *gidmap = str(op, 3), *setgroups = str(op, 4);
  if (*setgroups) {
    snprintf(path, sizeof path, "/proc/%d/setgroups", child);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, setgroups, strlen(setgroups)) < 0) DIE_ERRNO("write %s", path);
    close(fd);
  }
  const char *maps[2] = {uidmap, gidmap}, *names[2] = {"uid_map", "gid_map"};
  for (int i = 0; i < 2; i++) {
    if (!*maps[i]) continue;
    snprintf(path, sizeof path, "/proc/%d/%s", child, names[i]);
    double t0 = trace_now();
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, maps[i], strlen(maps[i])) >= 0;
    trace_syscall("write", t0, ok ? 0 : errno, "%s: the child's user namespace mapping", names[i]);
    if (!ok) DIE_ERRNO("write %s", path);
    close(fd);
  }
}

/* P's side of OP_CLONE. Returns only in the child. */
static void op_clone(const op_t *op) {
  unsigned long flags = (unsigned long)num(op, 0);
  int wait_child = (int)num(op, 1);
  int go[2];
  if (pipe2(go, O_CLOEXEC) < 0) DIE_ERRNO("pipe");
  /* A fork-like clone: with a NULL stack the child continues here on a copy of our stack. This is
   * safe because this program is single-threaded and holds no locks. */
  double t0 = trace_now();
  pid_t pid = (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, NULL);
  if (pid < 0) {
    trace_syscall("clone", t0, errno, "new namespaces: %s", ns_names(flags));
    DIE_ERRNO("clone (flags 0x%lx)", flags);
  }
  if (pid == 0) {
    trace_by = "its child, the future container process";
    close(go[1]);
    char c;
    /* Wait until P has written our user-namespace maps and reported our pid. */
    if (read(go[0], &c, 1) != 1) _exit(1);
    close(go[0]);
    if (flags & CLONE_NEWUSER) {
      /* We are root in the new user namespace once the maps exist. */
      if (setresgid(0, 0, 0) < 0) DIE_ERRNO("setresgid(0) in the user namespace");
      if (setresuid(0, 0, 0) < 0) DIE_ERRNO("setresuid(0) in the user namespace");
    }
    return;
  }
  close(go[0]);
  /* Written before the child may run (it waits for "g" below), so the lines stay in order. */
  if (ns_names(flags)[0]) trace_syscall("clone", t0, 0, "new namespaces: %s", ns_names(flags));
  else trace_syscall("clone", t0, 0, "a child process");
  if (flags & CLONE_NEWUSER) write_maps(pid, op);
  char buf[32];
  int n = snprintf(buf, sizeof buf, "%d", pid);
  if (send_msg(MSG_PID, buf, (uint32_t)n) < 0) {
    kill(pid, SIGKILL);
    _exit(1);
  }
  if (write(go[1], "g", 1) != 1) _exit(1);
  close(go[1]);
  close(ctl_fd);
  if (!wait_child) _exit(0);
  /* Foreground: stay as the container's parent and report its status as ours. */
  for (;;) {
    int status;
    pid_t r = waitpid(pid, &status, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) _exit(255);
    if (WIFEXITED(status)) _exit(WEXITSTATUS(status));
    if (WIFSIGNALED(status)) _exit(128 + WTERMSIG(status));
  }
}

static void op_capset(const op_t *op) {
  /* capabilities(7): the 64-bit sets are passed to capset(2) as two 32-bit halves (v3 ABI). */
  unsigned long long e = num(op, 0), p = num(op, 1), i = num(op, 2);
  struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct d[2] = {
      {.effective = (uint32_t)e, .permitted = (uint32_t)p, .inheritable = (uint32_t)i},
      {.effective = (uint32_t)(e >> 32), .permitted = (uint32_t)(p >> 32), .inheritable = (uint32_t)(i >> 32)},
  };
  double t0 = trace_now();
  long rc = syscall(SYS_capset, &h, d);
  trace_syscall("capset", t0, rc < 0 ? errno : 0, "capabilities set to the configured ones: effective 0x%llx", e);
  if (rc < 0) DIE_ERRNO("capset");
}

static int last_cap(void) {
  int fd = open("/proc/sys/kernel/cap_last_cap", O_RDONLY | O_CLOEXEC);
  char b[16] = {0};
  int v = 40;
  if (fd >= 0) {
    if (read(fd, b, sizeof b - 1) > 0) v = atoi(b);
    close(fd);
  }
  return v;
}

static void run_ops(size_t from);


/*
 * Standard streams inherited from the caller that are the host's /dev/null (the usual case for a
 * detached container) are the right device but a file of the host's mount tree, which the
 * container cannot name. CRIU refuses to dump such a descriptor (it must find every open file
 * inside the container's mounts), so, like runc, each of fds 0-2 that is the null device is
 * replaced by the container's own /dev/null after pivot_root. Anything else (pipes, ptys, files)
 * is left alone.
 */
static void reopen_dev_null(void) {
  struct stat null_st;
  if (stat("/dev/null", &null_st) < 0 || !S_ISCHR(null_st.st_mode)) return; /* no usable /dev/null: nothing to swap in */
  for (int fd = 0; fd < 3; fd++) {
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) || st.st_rdev != null_st.st_rdev) continue;
    int flags = fcntl(fd, F_GETFL);
    int nfd = open("/dev/null", (flags >= 0 ? flags & O_ACCMODE : O_RDWR) | O_CLOEXEC);
    if (nfd < 0) DIE_ERRNO("open the container's /dev/null for fd %d", fd);
    if (dup3(nfd, fd, 0) < 0) DIE_ERRNO("dup the container's /dev/null to fd %d", fd);
    close(nfd);
  }
}
static void exec_op(const op_t *op) {
  unsigned pos;
  switch (op->code) {
  case OP_JOIN_CGROUP: {
    /* cgroup v2 refuses a process in a cgroup that has controllers enabled for its children
       (EBUSY, the "no internal processes" rule): then the fallback, if given, is tried (exec
       joins the init's own sub-cgroup, as runc does). */
    const char *file = str(op, 0);
    double t0 = trace_now();
    int fd = open(file, O_WRONLY | O_CLOEXEC);
    int ok = fd >= 0 && write(fd, "0", 1) == 1;
    if (!ok && errno == EBUSY && op->argc > 1) {
      if (fd >= 0) close(fd);
      file = str(op, 1);
      fd = open(file, O_WRONLY | O_CLOEXEC);
      ok = fd >= 0 && write(fd, "0", 1) == 1;
    }
    trace_syscall("write", t0, ok ? 0 : errno, "cgroup.procs: join the cgroup %s", file);
    if (!ok) DIE_ERRNO("join cgroup %s", file);
    close(fd);
    break;
  }
  case OP_SETNS: {
    int fd = open(str(op, 0), O_RDONLY | O_CLOEXEC);
    if (fd < 0) DIE_ERRNO("open namespace %s", str(op, 0));
    double t0 = trace_now();
    int rc = setns(fd, (int)num(op, 1));
    trace_syscall("setns", t0, rc < 0 ? errno : 0, "%s namespace: %s", ns_names((unsigned long)num(op, 1)), str(op, 0));
    if (rc < 0) DIE_ERRNO("setns %s", str(op, 0));
    close(fd);
    break;
  }
  case OP_UNSHARE: {
    double t0 = trace_now();
    int rc = unshare((int)num(op, 0));
    trace_syscall("unshare", t0, rc < 0 ? errno : 0, "new namespaces: %s", ns_names((unsigned long)num(op, 0)));
    if (rc < 0) DIE_ERRNO("unshare 0x%llx", num(op, 0));
    break;
  }
  case OP_WRITE_FILE: {
    int fd = open(str(op, 0), O_WRONLY | O_CLOEXEC);
    if (fd < 0) DIE_ERRNO("open %s", str(op, 0));
    if (write(fd, op->argv[1], op->argl[1]) < 0) DIE_ERRNO("write %s", str(op, 0));
    close(fd);
    break;
  }
  case OP_MOUNT: {
    const char *src = str(op, 0), *t = str(op, 1), *fs = str(op, 2), *data = str(op, 4);
    unsigned long flags = (unsigned long)num(op, 3);
    if (flags & MS_REMOUNT) flags |= locked_flags(t) & ~(unsigned long)MS_RDONLY;
    double t0 = trace_now();
    int rc = mount(*src ? src : NULL, t, *fs ? fs : NULL, flags, *data ? data : NULL);
    trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (%s)", t, mount_kind(flags, fs));
    if (rc < 0)
      DIE_ERRNO("mount %s on %s (type %s, flags 0x%lx)", *src ? src : "none", t, *fs ? fs : "none", flags);
    break;
  }
  case OP_MOUNT_IN_ROOT:
    op_mount_in_root(op);
    break;
  case OP_OPEN_ROOT:
    if (root_fd >= 0) close(root_fd);
    root_fd = open(str(op, 0), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root_fd < 0) DIE_ERRNO("open root %s", str(op, 0));
    break;
  case OP_MKDIR_IN_ROOT:
    if (mkdir_in_root(str(op, 0), (mode_t)num(op, 1)) < 0) DIE_ERRNO("mkdir %s", str(op, 0));
    break;
  case OP_MKNOD_IN_ROOT: {
    char name[NAME_MAX + 1];
    int pfd = parent_in_root(str(op, 0), name, sizeof name);
    if (pfd < 0) DIE_ERRNO("parent of %s", str(op, 0));
    if (mknodat(pfd, name, (mode_t)num(op, 1), (dev_t)num(op, 2)) < 0 && errno != EEXIST)
      DIE_ERRNO("mknod %s", str(op, 0));
    if (fchownat(pfd, name, (uid_t)num(op, 3), (gid_t)num(op, 4), AT_SYMLINK_NOFOLLOW) < 0)
      DIE_ERRNO("chown %s", str(op, 0));
    close(pfd);
    break;
  }
  case OP_SYMLINK_IN_ROOT: {
    char name[NAME_MAX + 1];
    int pfd = parent_in_root(str(op, 1), name, sizeof name);
    if (pfd < 0) DIE_ERRNO("parent of %s", str(op, 1));
    if (symlinkat(str(op, 0), pfd, name) < 0 && errno != EEXIST) DIE_ERRNO("symlink %s", str(op, 1));
    close(pfd);
    break;
  }
  case OP_HOOKS_POINT: {
    if (send_msg(MSG_HOOKS, NULL, 0) < 0) DIE_ERRNO("send HOOKS");
    uint32_t len;
    char *s = recv_msg(MSG_CONTINUE, &len);
    if (!s) die("%s: the runtime did not answer at the hooks point", cur_op);
    state_json = s;
    state_len = len;
    break;
  }
  case OP_HOOK:
    run_hook(op);
    break;
  case OP_PIVOT_ROOT:
    op_pivot_root(str(op, 0));
    break;
  case OP_MOVE_ROOT:
    op_move_root(str(op, 0));
    break;
  case OP_MASK_PATH:
    op_mask_path(str(op, 0));
    break;
  case OP_READONLY_PATH:
    op_readonly_path(str(op, 0));
    break;
  case OP_REMOUNT: {
    const char *p = str(op, 0);
    unsigned long add = (unsigned long)num(op, 1);
    double t0 = trace_now();
    int rc = mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | add | locked_flags(p), NULL);
    trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (%s)", p, mount_kind(MS_REMOUNT | add, ""));
    if (rc < 0) DIE_ERRNO("remount %s", p);
    break;
  }
  case OP_SETHOSTNAME:
  {
    double t0 = trace_now();
    int rc = sethostname(str(op, 0), op->argl[0]);
    trace_syscall("sethostname", t0, rc < 0 ? errno : 0, "%s", str(op, 0));
    if (rc < 0) DIE_ERRNO("sethostname %s", str(op, 0));
  }
    break;
  case OP_SETDOMAINNAME:
    if (setdomainname(str(op, 0), op->argl[0]) < 0) DIE_ERRNO("setdomainname %s", str(op, 0));
    break;
  case OP_SETRLIMIT: {
    struct rlimit r = {.rlim_cur = (rlim_t)num(op, 1), .rlim_max = (rlim_t)num(op, 2)};
    if (setrlimit((int)num(op, 0), &r) < 0) DIE_ERRNO("setrlimit %llu", num(op, 0));
    break;
  }
  case OP_UMASK:
    umask((mode_t)num(op, 0));
    break;
  case OP_CAPS_BOUNDING: {
    unsigned long long keep = num(op, 0);
    int last = last_cap();
    for (int c = 0; c <= last && c < 64; c++)
      if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
        DIE_ERRNO("drop capability %d from the bounding set", c);
    break;
  }
  case OP_KEEPCAPS:
    if (prctl(PR_SET_KEEPCAPS, (unsigned long)num(op, 0), 0, 0, 0) < 0) DIE_ERRNO("PR_SET_KEEPCAPS");
    break;
  case OP_SETGROUPS: {
    static gid_t g[65536];
    size_t n = op->argc; /* argc is a u16: always fits */
    for (size_t i = 0; i < n; i++) g[i] = (gid_t)num(op, (unsigned)i);
    if (setgroups(n, g) < 0) DIE_ERRNO("setgroups");
    break;
  }
  case OP_SETRESGID:
    if (setresgid((gid_t)num(op, 0), (gid_t)num(op, 0), (gid_t)num(op, 0)) < 0) DIE_ERRNO("setresgid %llu", num(op, 0));
    break;
  case OP_SETRESUID:
    if (setresuid((uid_t)num(op, 0), (uid_t)num(op, 0), (uid_t)num(op, 0)) < 0) DIE_ERRNO("setresuid %llu", num(op, 0));
    break;
  case OP_CAPSET:
    op_capset(op);
    break;
  case OP_AMBIENT: {
    unsigned long long m = num(op, 0);
    for (int c = 0; c < 64; c++)
      /* capabilities(7): a capability can only be ambient if it is also permitted and
       * inheritable. runc 1.1 ignores a refused raise (EPERM), and `runc spec` configs rely on
       * that (ambient set, inheritable empty), so we do too. */
      if ((m & (1ULL << c)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0 && errno != EPERM && errno != EINVAL)
        DIE_ERRNO("raise ambient capability %d", c);
    break;
  }
  case OP_NO_NEW_PRIVS:
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) DIE_ERRNO("PR_SET_NO_NEW_PRIVS");
    break;
  case OP_SECCOMP: {
    unsigned long flags = (unsigned long)num(op, 0);
    if (op->argc < 2 || op->argl[1] % 8) die("%s: bad BPF program", cur_op);
    struct sock_fprog prog = {.len = (unsigned short)(op->argl[1] / 8), .filter = (struct sock_filter *)op->argv[1]};
    double t0 = trace_now();
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
    trace_syscall("seccomp", t0, rc < 0 ? errno : 0, "filter: %u BPF instructions", prog.len);
    if (rc < 0) DIE_ERRNO("seccomp (%u instructions)", prog.len);
    break;
  }
  case OP_CHDIR:
    if (chdir(str(op, 0)) < 0) DIE_ERRNO("chdir to cwd \"%s\"", str(op, 0));
    break;
  case OP_CONSOLE_CONNECT: {
    const char *target = str(op, 0);
    if (!strncmp(target, "fd:", 3)) {
      console_sock = (int)strtol(target + 3, NULL, 10);
      break;
    }
    console_sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if (strlen(target) >= sizeof a.sun_path) die("%s: console socket path too long: %s", cur_op, target);
    strcpy(a.sun_path, target);
    if (console_sock < 0 || connect(console_sock, (struct sockaddr *)&a, sizeof a) < 0)
      DIE_ERRNO("connect to console socket %s", target);
    break;
  }
  case OP_CONSOLE_SETUP:
    op_console_setup(op);
    break;
  case OP_OPEN_SLOT: {
    int slot = (int)num(op, 0);
    if (slot < 0 || slot >= 8) die("%s: bad slot %d", cur_op, slot);
    slots[slot] = open(str(op, 1), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (slots[slot] < 0) DIE_ERRNO("open %s", str(op, 1));
    break;
  }
  case OP_FIFO_WAIT:
    op_fifo_wait((int)num(op, 0), str(op, 1));
    break;
  case OP_READY:
    if (send_msg(MSG_READY, NULL, 0) < 0) DIE_ERRNO("send READY");
    /* Tracing: keep the socket (O_CLOEXEC) for EXEC; its closing at execve is the success. */
    if (trace_fd < 0) close(ctl_fd);
    after_ready = 1;
    break;
  case OP_LOOKUP:
    op_lookup(str(op, 0), str(op, 1));
    break;
  case OP_EXEC:
    pos = 0;
    {
      char **argv = vec(op, &pos);
      char **envp = vec(op, &pos);
      const char *file = exec_path[0] ? exec_path : argv[0];
      /* Tracing: say "about to execve" to whoever listens (start on exec.fifo, exec on the control
       * socket); both descriptors are O_CLOEXEC, so their end-of-file is the kernel's "it worked". */
      double t0 = trace_now();
      if (trace_fd >= 0) {
        /* Both notes carry t0: the listener may read them late (a busy machine), and the trace
         * must say when the execve happened, not when somebody noticed. */
        char note[PATH_MAX + 48];
        int n = snprintf(note, sizeof note, "x%.3f", t0);
        fifo_note(note);
        n = snprintf(note, sizeof note, "%.3f %s", t0, file);
        if (n > (int)sizeof note - 1) n = (int)sizeof note - 1;
        if (send_msg(MSG_EXEC, note, (uint32_t)n) < 0) { /* nobody listens (create): fine */ }
      }
      execve(file, argv, envp);
      int e = errno;
      trace_syscall("execve", t0, e, "%s", file);
      fifo_note("!");
      /* runc reports exec failures of the container process this way too. */
      dprintf(2, "strata-init: exec %s: %s\n", file, strerror(e));
      _exit(e == ENOENT ? 127 : 126);
    }
  case OP_SETSID:
    if (setsid() < 0 && errno != EPERM) DIE_ERRNO("setsid");
    break;
  case OP_SET_PDEATHSIG:
    if (prctl(PR_SET_PDEATHSIG, (unsigned long)num(op, 0), 0, 0, 0) < 0) DIE_ERRNO("PR_SET_PDEATHSIG");
    break;
  case OP_MAKE_PRIVATE:
  {
    double t0 = trace_now();
    int rc = mount(NULL, str(op, 0), NULL, MS_PRIVATE, NULL);
    trace_syscall("mount", t0, rc < 0 ? errno : 0, "%s (private propagation)", str(op, 0));
    if (rc < 0) DIE_ERRNO("make %s private", str(op, 0));
  }
    break;
  case OP_MOUNT_BIND_SELF:
  {
    double t0 = trace_now();
    int rc = mount(str(op, 0), str(op, 0), NULL, MS_BIND | (unsigned long)num(op, 1), NULL);
    trace_syscall("mount", t0, rc < 0 ? errno : 0, "rootfs bind-mounted onto itself: %s", str(op, 0));
    if (rc < 0) DIE_ERRNO("bind %s onto itself", str(op, 0));
  }
    break;
  case OP_JOIN_KEYRING:
    /* runc does this too: without it the container would share the caller's session keyring.
     * ENOSYS (no keyring support) is not fatal, as in runc. */
    if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, str(op, 0)) < 0 && errno != ENOSYS)
      DIE_ERRNO("join session keyring %s", str(op, 0));
    break;
  case OP_REOPEN_DEV_NULL:
    reopen_dev_null();
    break;
  default:
    die("unknown op %u", op->code);
  }
}

static const char *op_names[] = {
    [OP_JOIN_CGROUP] = "join-cgroup",   [OP_SETNS] = "setns",
    [OP_UNSHARE] = "unshare",           [OP_WRITE_FILE] = "write-file",
    [OP_CLONE] = "clone",               [OP_MOUNT] = "mount",
    [OP_MOUNT_IN_ROOT] = "mount-in-root", [OP_OPEN_ROOT] = "open-root",
    [OP_MKDIR_IN_ROOT] = "mkdir-in-root", [OP_MKNOD_IN_ROOT] = "mknod-in-root",
    [OP_SYMLINK_IN_ROOT] = "symlink-in-root", [OP_HOOKS_POINT] = "hooks-point",
    [OP_HOOK] = "hook",                 [OP_PIVOT_ROOT] = "pivot-root",
    [OP_MOVE_ROOT] = "move-root",       [OP_MASK_PATH] = "mask-path",
    [OP_READONLY_PATH] = "readonly-path", [OP_REMOUNT] = "remount",
    [OP_SETHOSTNAME] = "sethostname",   [OP_SETDOMAINNAME] = "setdomainname",
    [OP_SETRLIMIT] = "setrlimit",       [OP_UMASK] = "umask",
    [OP_CAPS_BOUNDING] = "caps-bounding", [OP_KEEPCAPS] = "keepcaps",
    [OP_SETGROUPS] = "setgroups",       [OP_SETRESGID] = "setresgid",
    [OP_SETRESUID] = "setresuid",       [OP_CAPSET] = "capset",
    [OP_AMBIENT] = "ambient",           [OP_NO_NEW_PRIVS] = "no-new-privs",
    [OP_SECCOMP] = "seccomp",           [OP_CHDIR] = "chdir",
    [OP_CONSOLE_CONNECT] = "console-connect", [OP_CONSOLE_SETUP] = "console-setup",
    [OP_OPEN_SLOT] = "open-slot",       [OP_FIFO_WAIT] = "fifo-wait",
    [OP_READY] = "ready",               [OP_LOOKUP] = "lookup",
    [OP_EXEC] = "exec",                 [OP_SETSID] = "setsid",
    [OP_SET_PDEATHSIG] = "set-pdeathsig", [OP_MAKE_PRIVATE] = "make-private",
    [OP_MOUNT_BIND_SELF] = "bind-self",   [OP_JOIN_KEYRING] = "join-keyring",
    [OP_REOPEN_DEV_NULL] = "reopen-dev-null",
};

static void run_ops(size_t from) {
  for (size_t i = from; i < nops; i++) {
    const op_t *op = &ops[i];
    cur_op = op->code < sizeof op_names / sizeof op_names[0] && op_names[op->code] ? op_names[op->code] : "op";
    if (op->code == OP_CLONE) {
      op_clone(op); /* returns only in the child */
      continue;
    }
    exec_op(op);
  }
  /* A plan always ends with OP_EXEC; getting here means the plan was incomplete. */
  die("plan ended without exec");
}

int main(void) {
  const char *fdenv = getenv("STRATA_INIT_FD");
  if (fdenv) ctl_fd = atoi(fdenv);
  for (int i = 0; i < 8; i++) slots[i] = -1;
  trace_open();
  if (fcntl(ctl_fd, F_SETFD, FD_CLOEXEC) < 0) {
    dprintf(2, "strata-init: control fd %d: %s (this program is started by strata-runtime)\n", ctl_fd, strerror(errno));
    return 2;
  }
  /* Node leaves O_NONBLOCK on shared stdio descriptions; a container process expects blocking
   * stdio (otherwise writes to a full pipe fail with EAGAIN and output silently vanishes). */
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  /* Device nodes and directories get exactly the modes the plan asks for; the container's own
   * umask is set later by OP_UMASK (process.user.umask). */
  umask(0);
  uint32_t len;
  char *plan = recv_msg(MSG_PLAN, &len);
  if (!plan) die("no plan received on fd %d", ctl_fd);
  decode_plan(plan, len);
  run_ops(0);
  return 0;
}
