// The image service's pure parts: how CRI image names are read and stored, and PullImage's
// AuthConfig forms.
import { describe, expect, it } from 'vitest';
import { classify, parseImageName, recordNames } from '../src/image/names';
import { parseAuth } from '../src/image/auth';
import { parseReference } from '@strata/manager';

const ID = `sha256:${'ab'.repeat(32)}`;
const auth = (o: Partial<Record<'username' | 'password' | 'auth' | 'identityToken' | 'registryToken' | 'serverAddress', string>>) => ({ username: '', password: '', auth: '', serverAddress: '', identityToken: '', registryToken: '', ...o });

describe('image names', () => {
  it('reads ids, bare hex ids, short id prefixes and references', () => {
    expect(parseImageName(ID, 'f')).toEqual({ kind: 'id', id: ID });
    expect(parseImageName('ab'.repeat(32), 'f')).toEqual({ kind: 'id', id: ID });
    expect(parseImageName('busybox', 'f')).toMatchObject({ kind: 'ref', name: 'docker.io/library/busybox:latest' });
    expect(parseImageName('registry.k8s.io/pause:3.9', 'f')).toMatchObject({ kind: 'ref', name: 'registry.k8s.io/pause:3.9' });
    expect(parseImageName(`registry.k8s.io/pause@${ID}`, 'f')).toMatchObject({ kind: 'ref', name: `registry.k8s.io/pause@${ID}` });
  });

  it('names the field in errors', () => {
    expect(() => parseImageName('', 'image.image')).toThrow('image.image: must not be empty');
    expect(() => parseImageName('Upper/Case', 'image.image')).toThrow(/^image\.image: "Upper\/Case" is not an image reference or id/);
    try {
      parseImageName('', 'image.image');
    } catch (e) {
      expect((e as { grpcCode: number }).grpcCode).toBe(3);
    }
  });

  it('stores a pulled image under its tag, its repo digest and its id', () => {
    expect(recordNames(parseReference('registry.k8s.io/pause:3.9'), `sha256:${'cd'.repeat(32)}`, ID)).toEqual(['registry.k8s.io/pause:3.9', `registry.k8s.io/pause@sha256:${'cd'.repeat(32)}`, ID]);
    // pulled by digest: no tag
    expect(recordNames(parseReference(`registry.k8s.io/pause@sha256:${'cd'.repeat(32)}`), `sha256:${'cd'.repeat(32)}`, ID)).toEqual([`registry.k8s.io/pause@sha256:${'cd'.repeat(32)}`, ID]);
  });

  it('sorts record names into ids, tags and digests', () => {
    expect(classify(ID)).toBe('id');
    expect(classify('registry.k8s.io/pause:3.9')).toBe('tag');
    expect(classify(`registry.k8s.io/pause@${ID}`)).toBe('digest');
    expect(classify('not a name')).toBe('other');
  });
});

describe('PullImage auth', () => {
  it('takes username/password, auth, identity token, registry token (in that order)', () => {
    expect(parseAuth(undefined)).toEqual({});
    expect(parseAuth(auth({ username: 'u', password: 'p', auth: 'eDp5' }))).toEqual({ credentials: { username: 'u', password: 'p' } });
    expect(parseAuth(auth({ auth: Buffer.from('me:pa:ss').toString('base64') }))).toEqual({ credentials: { username: 'me', password: 'pa:ss' } });
    expect(parseAuth(auth({ identityToken: 'tok' }))).toEqual({ credentials: { username: '', password: 'tok' } });
    expect(parseAuth(auth({ registryToken: 'bearer' }))).toEqual({ registryToken: 'bearer' });
  });

  it('refuses malformed credentials naming the field', () => {
    expect(() => parseAuth(auth({ auth: Buffer.from('nocolon').toString('base64') }))).toThrow('auth.auth: must be base64 of "username:password"');
    expect(() => parseAuth(auth({ password: 'p' }))).toThrow('auth.password: given without auth.username');
  });
});
