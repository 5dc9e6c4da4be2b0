// The event log's pure logic: docker's event JSON (with the legacy status/id/from fields), the
// bounded ring, since/until, filters, time parsing.
import { describe, expect, it } from 'vitest';
import { EngineEvents, parseEventTime, parseFiltersParam } from '../src/events';
import { RING_SIZE, eventMatcher } from '../src/events/events';

describe('EngineEvents', () => {
  it('shapes events like dockerd, legacy fields for containers and images only', () => {
    const ev = new EngineEvents();
    const c = ev.emit('container', 'start', 'abc', { image: 'busybox', name: 'c1' });
    expect(c).toMatchObject({ Type: 'container', Action: 'start', Actor: { ID: 'abc', Attributes: { image: 'busybox', name: 'c1' } }, scope: 'local', status: 'start', id: 'abc', from: 'busybox' });
    expect(c.time).toBe(Math.floor(c.timeNano / 1e9));
    const v = ev.emit('volume', 'create', 'v1', { driver: 'local' });
    expect(v).not.toHaveProperty('status');
    expect(v).not.toHaveProperty('id');
    expect(v.timeNano).toBeGreaterThan(c.timeNano); // strictly increasing
  });

  it('keeps only the last RING_SIZE events', () => {
    const ev = new EngineEvents();
    for (let i = 0; i < RING_SIZE + 10; i++) ev.emit('image', 'tag', `i${i}`);
    const past = ev.past({ since: 0 });
    expect(past.length).toBe(RING_SIZE);
    expect(past[0].Actor.ID).toBe('i10');
  });

  it('replays since, stops at until, and delivers live events until unsubscribed', () => {
    const ev = new EngineEvents();
    const a = ev.emit('image', 'pull', 'a');
    const b = ev.emit('image', 'tag', 'b');
    const got: string[] = [];
    const off = ev.subscribe({ since: b.timeNano }, (e) => got.push(e.Actor.ID));
    expect(got).toEqual(['b']);
    ev.emit('image', 'untag', 'c');
    off();
    ev.emit('image', 'delete', 'd');
    expect(got).toEqual(['b', 'c']);
    expect(ev.subscriberCount).toBe(0);
    const bounded: string[] = [];
    ev.subscribe({ since: a.timeNano, until: a.timeNano }, (e) => bounded.push(e.Actor.ID));
    ev.emit('image', 'tag', 'late');
    expect(bounded).toEqual(['a']);
  });

  it('filters like docker: keys ANDed, values ORed; names, images and labels', () => {
    const ev = new EngineEvents();
    ev.emit('container', 'create', 'c'.repeat(64), { image: 'docker.io/library/busybox:latest', name: 'web', tier: 'front' });
    ev.emit('container', 'die', 'd'.repeat(64), { image: 'alpine', name: 'db', exitCode: '0' });
    ev.emit('image', 'tag', 'sha256:1', { name: 'busybox:latest' });
    ev.emit('network', 'connect', 'n1', { name: 'bridge' });
    const ids = (f: Record<string, string[]>) => ev.past({ since: 0, filters: f }).map((e) => `${e.Type}:${e.Action}`);
    expect(ids({ type: ['container'] })).toEqual(['container:create', 'container:die']);
    expect(ids({ type: ['container'], event: ['die'] })).toEqual(['container:die']);
    expect(ids({ container: ['web'] })).toEqual(['container:create']);
    expect(ids({ container: ['dddd'] })).toEqual(['container:die']); // id prefix
    expect(ids({ image: ['busybox'] })).toEqual(['container:create', 'image:tag']);
    expect(ids({ label: ['tier=front'] })).toEqual(['container:create']);
    expect(ids({ label: ['tier'] })).toEqual(['container:create']);
    expect(ids({ network: ['bridge'] })).toEqual(['network:connect']);
    expect(ids({ type: ['image', 'network'] })).toEqual(['image:tag', 'network:connect']);
    expect(() => eventMatcher({ colour: ['red'] })).toThrow("invalid filter 'colour'");
  });

  it('reads docker filters in both JSON forms and times as seconds or RFC 3339', () => {
    expect(parseFiltersParam('{"type":{"image":true,"volume":true}}')).toEqual({ type: ['image', 'volume'] });
    expect(parseFiltersParam('{"type":["image"]}')).toEqual({ type: ['image'] });
    expect(parseFiltersParam(null)).toEqual({});
    expect(() => parseFiltersParam('{oops')).toThrow(/invalid filters/);
    expect(() => parseFiltersParam('[1]')).toThrow(/JSON object/);
    expect(parseEventTime('1700000000', 'since')).toBe(1700000000e9);
    expect(parseEventTime('1700000000.5', 'since')).toBe(1700000000.5e9);
    expect(parseEventTime('1700000000.000001', 'since')).toBe(1700000000e9 + 1000);
    expect(parseEventTime('2023-11-14T22:13:20Z', 'since')).toBe(1700000000e9);
    expect(() => parseEventTime('yesterday', 'until')).toThrow(/invalid until value "yesterday"/);
  });
});
