// Interoperability with the SPDY implementation Kubernetes itself uses: moby/spdystream (the
// library under client-go's and the kubelet's httpstream), from Debian's
// golang-github-docker-spdystream-dev, driven by a small Go program built here with Debian's Go.
// Our server against a spdystream client, and our client against a spdystream server.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamingServer, execClient } from '../src/streaming';
import { HostRuntime } from './streamingHostRuntime';

const GOPATH = '/usr/share/gocode';
const hasGo = spawnSync('go', ['version']).status === 0 && fs.existsSync(path.join(GOPATH, 'src/github.com/docker/spdystream/connection.go'));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `strata-spdy-${process.pid}-`));
const peer = path.join(tmp, 'peer');
const runtime = new HostRuntime();
const server = new StreamingServer({ address: '127.0.0.1', runtime });

beforeAll(async () => {
  await server.start();
  if (!hasGo) return;
  fs.writeFileSync(path.join(tmp, 'main.go'), GO_PEER);
  const env = { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: path.join(tmp, 'cache'), GOFLAGS: '' };
  const b = spawnSync('go', ['build', '-o', peer, '.'], { cwd: tmp, env, encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`go build failed: ${b.stderr}`);
}, 120_000);
afterAll(async () => {
  await server.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(peer, args);
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d) => (stdout += d));
    c.stderr.on('data', (d) => (stderr += d));
    c.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(!hasGo)('SPDY interop with moby/spdystream (needs golang-go and golang-github-docker-spdystream-dev)', () => {
  it('a spdystream client runs exec on our server like client-go v4', async () => {
    const url = await server.urlFor('exec', { containerId: 'h', cmd: ['sh', '-c', 'cat; echo e >&2; exit 3'], stdin: true, stdout: true, stderr: true });
    const r = await run(['client', url, 'abc from go']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res.protocol).toBe('v4.channel.k8s.io');
    expect(res.stdout).toBe('abc from go');
    expect(res.stderr).toBe('e\n');
    expect(JSON.parse(res.status)).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: '3' }] } });
  });

  it('a spent token answers 404 to a spdystream client', async () => {
    const url = await server.urlFor('exec', { containerId: 'h', cmd: ['true'], stdin: true, stdout: true, stderr: true });
    await run(['client', url, '']);
    const again = JSON.parse((await run(['client', url, ''])).stdout);
    expect(again.status).toBe(404);
  });

  it('a spdystream client forwards a port through our server (portforward.k8s.io)', async () => {
    const echo = net.createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
    echo.listen(0, '127.0.0.1');
    await once(echo, 'listening');
    const port = (echo.address() as net.AddressInfo).port;
    try {
      const url = await server.urlFor('portforward', { podSandboxId: 'pod', port: [port] });
      const r = await run(['pf', url, String(port), String(3 * 1024 * 1024)]);
      expect(r.stderr).toBe('');
      const res = JSON.parse(r.stdout);
      expect(res.protocol).toBe('portforward.k8s.io');
      expect(res.len).toBe(3 * 1024 * 1024);
      expect(res.got).toEqual(res.sent);
      expect(res.error).toBe('');
    } finally {
      await new Promise((resolve) => echo.close(resolve));
    }
  });

  it('our client runs exec against a spdystream server', async () => {
    const c = spawn(peer, ['server']);
    const url = await new Promise<string>((resolve) => c.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
    const out = new PassThrough();
    const err = new PassThrough();
    let o = '';
    let e = '';
    out.on('data', (d) => (o += d));
    err.on('data', (d) => (e += d));
    const code = await execClient(url, { stdin: Readable.from([Buffer.from('hi')]), stdout: out, stderr: err, tty: false });
    expect(code).toBe(5);
    expect(o).toBe('go says: hi');
    expect(e).toBe('go stderr\n');
    const [exit] = await new Promise<[number | null]>((resolve) => (c.exitCode !== null ? resolve([c.exitCode]) : c.on('exit', (x) => resolve([x]))));
    expect(exit).toBe(0);
  });
});

const GO_PEER = `// A foreign SPDY peer for Strata's tests, built on moby/spdystream (Debian's
// golang-github-docker-spdystream-dev), the library client-go and the kubelet use.
//   client URL STDIN   -> exec like client-go v4: streams error,stdin,stdout,stderr; prints JSON
//   server             -> a kubelet-like endpoint on 127.0.0.1:0; prints its URL, serves one exec
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"sync"

	"github.com/docker/spdystream"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

func client(rawURL, stdin string) {
	u, err := url.Parse(rawURL)
	must(err)
	conn, err := net.Dial("tcp", u.Host)
	must(err)
	req, _ := http.NewRequest("POST", rawURL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Add("X-Stream-Protocol-Version", "v4.channel.k8s.io")
	req.Header.Add("X-Stream-Protocol-Version", "v3.channel.k8s.io")
	must(req.Write(conn))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, req)
	must(err)
	if resp.StatusCode != 101 {
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("{\\"status\\":%d,\\"body\\":%q}\\n", resp.StatusCode, string(body))
		return
	}
	if br.Buffered() > 0 {
		must(fmt.Errorf("unexpected bytes after 101"))
	}
	sc, err := spdystream.NewConnection(conn, false)
	must(err)
	go sc.Serve(spdystream.NoOpStreamHandler)
	open := func(t string) *spdystream.Stream {
		h := http.Header{}
		h.Set("streamType", t)
		s, err := sc.CreateStream(h, nil, false)
		must(err)
		must(s.Wait())
		return s
	}
	errS, inS, outS, errOut := open("error"), open("stdin"), open("stdout"), open("stderr")
	go func() {
		inS.Write([]byte(stdin))
		inS.Close()
	}()
	var out, serr []byte
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); out, _ = io.ReadAll(outS) }()
	go func() { defer wg.Done(); serr, _ = io.ReadAll(errOut) }()
	wg.Wait()
	status, _ := io.ReadAll(errS)
	res, _ := json.Marshal(map[string]string{"protocol": resp.Header.Get("X-Stream-Protocol-Version"), "stdout": string(out), "stderr": string(serr), "status": string(status)})
	fmt.Println(string(res))
	sc.Close()
}

// pf URL PORT SIZE: one forwarded connection like client-go's portforward: an error stream and a
// data stream tagged with port and requestID; SIZE bytes sent then half-closed; prints JSON.
func pf(rawURL, port string, size int) {
	u, err := url.Parse(rawURL)
	must(err)
	conn, err := net.Dial("tcp", u.Host)
	must(err)
	req, _ := http.NewRequest("POST", rawURL, nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "SPDY/3.1")
	req.Header.Set("X-Stream-Protocol-Version", "portforward.k8s.io")
	must(req.Write(conn))
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	must(err)
	if resp.StatusCode != 101 {
		must(fmt.Errorf("status %d", resp.StatusCode))
	}
	sc, err := spdystream.NewConnection(conn, false)
	must(err)
	go sc.Serve(spdystream.NoOpStreamHandler)
	h := http.Header{}
	h.Set("streamType", "error")
	h.Set("port", port)
	h.Set("requestID", "0")
	errS, err := sc.CreateStream(h, nil, false)
	must(err)
	must(errS.Wait())
	errS.Close()
	h.Set("streamType", "data")
	dataS, err := sc.CreateStream(h, nil, false)
	must(err)
	must(dataS.Wait())
	payload := make([]byte, size)
	for i := range payload {
		payload[i] = byte(i * 31)
	}
	go func() {
		dataS.Write(payload)
		dataS.Close()
	}()
	back, _ := io.ReadAll(dataS)
	msg, _ := io.ReadAll(errS)
	res, _ := json.Marshal(map[string]interface{}{"sent": sha256.Sum256(payload), "got": sha256.Sum256(back), "len": len(back), "error": string(msg), "protocol": resp.Header.Get("X-Stream-Protocol-Version")})
	fmt.Println(string(res))
	sc.Close()
}

func server() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(err)
	fmt.Printf("http://%s/exec/gotoken\\n", ln.Addr())
	conn, err := ln.Accept()
	must(err)
	br := bufio.NewReader(conn)
	req, err := http.ReadRequest(br)
	must(err)
	proto := req.Header.Values("X-Stream-Protocol-Version")
	if req.Header.Get("Upgrade") != "SPDY/3.1" || len(proto) == 0 || proto[0] != "v4.channel.k8s.io" {
		fmt.Fprintf(conn, "HTTP/1.1 400 Bad Request\\r\\nContent-Length: 0\\r\\n\\r\\n")
		os.Exit(2)
	}
	fmt.Fprintf(conn, "HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: SPDY/3.1\\r\\nX-Stream-Protocol-Version: v4.channel.k8s.io\\r\\n\\r\\n")
	sc, err := spdystream.NewConnection(conn, true)
	must(err)
	streams := make(chan *spdystream.Stream, 8)
	go sc.Serve(func(s *spdystream.Stream) {
		s.SendReply(http.Header{}, false)
		streams <- s
	})
	got := map[string]*spdystream.Stream{}
	for len(got) < 4 {
		s := <-streams
		got[s.Headers().Get("streamType")] = s
	}
	in, _ := io.ReadAll(got["stdin"])
	got["stdout"].Write([]byte("go says: " + string(in)))
	got["stdout"].Close()
	got["stderr"].Write([]byte("go stderr\\n"))
	got["stderr"].Close()
	got["error"].Write([]byte(\`{"metadata":{},"status":"Failure","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"5"}]}}\`))
	got["error"].Close()
	sc.CloseWait()
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "server" {
		server()
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "pf" {
		n, err := strconv.Atoi(os.Args[4])
		must(err)
		pf(os.Args[2], os.Args[3], n)
		return
	}
	client(os.Args[2], os.Args[3])
}
`;
