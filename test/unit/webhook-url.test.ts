// Where a webhook may point (domain/webhook-url.ts): never at a literal address inside the SPC's
// network, in whatever spelling the URL parser accepts; loopback stays allowed for local receivers.
import { internalNetworkOf, webhookUrlRefusal } from '../../domain/webhook-url';

const codeOf = (url: string) => webhookUrlRefusal(url)?.code ?? null;

describe('webhook URL hosts', () => {
  it('refuses private, link-local, metadata, unique-local and unspecified addresses, over https too', () => {
    const internal = [
      'https://10.1.2.3/hooks', 'https://172.16.0.1/', 'https://172.31.255.255/', 'https://192.168.1.10:8443/x',
      'https://169.254.169.254/latest/meta-data/', 'http://169.254.169.254/', 'https://169.254.10.1/',
      'https://0.0.0.0/', 'https://0/', 'https://[fe80::1]/', 'https://[febf::1]/', 'https://[fc00::1]/', 'https://[fd12:3456::1]/', 'https://[::]/',
    ];
    for (const url of internal) expect([url, codeOf(url)]).toEqual([url, 'WEBHOOK_URL_PRIVATE_ADDRESS']);
  });

  it('sees through other spellings of the metadata address', () => {
    for (const url of ['https://2852039166/', 'https://0251.0376.0251.0376/', 'https://[::ffff:169.254.169.254]/', 'https://169.254.169.254./', 'https://user@169.254.169.254/']) {
      expect([url, codeOf(url)]).toEqual([url, 'WEBHOOK_URL_PRIVATE_ADDRESS']);
    }
    expect(webhookUrlRefusal('https://169.254.169.254/')?.reason).toMatch(/link-local \(cloud metadata\) 169\.254\.0\.0\/16 address inside the SPC's network/);
  });

  it('takes public addresses and the edges just outside the ranges', () => {
    for (const url of ['https://bank.example/hooks', 'https://8.8.8.8/x', 'https://172.15.255.255/', 'https://172.32.0.1/', 'https://192.169.0.1/', 'https://11.0.0.1/', 'https://[2001:db8::1]/', 'https://[fec0::1]/']) {
      expect([url, codeOf(url)]).toEqual([url, null]);
    }
  });

  it('keeps loopback allowed, over http and https, for the tests and `spc up`', () => {
    for (const url of ['http://127.0.0.1:9000/x', 'https://127.0.0.1/', 'http://localhost:8080/', 'http://[::1]/x', 'https://[::1]/']) {
      expect([url, codeOf(url)]).toEqual([url, null]);
    }
  });

  it('refuses what is not http(s) or not a URL, with its own code', () => {
    expect(codeOf('ftp://bank.example/x')).toBe('WEBHOOK_URL_INSECURE');
    expect(codeOf('file:///etc/passwd')).toBe('WEBHOOK_URL_INSECURE');
    expect(codeOf('gopher://10.0.0.1/')).toBe('WEBHOOK_URL_INSECURE');
    expect(codeOf('http://bank.example/')).toBe('WEBHOOK_URL_INSECURE');
    expect(codeOf('not a url')).toBe('WEBHOOK_URL_INVALID');
  });

  it('names the network of a literal address and nothing for a host name', () => {
    expect(internalNetworkOf('192.168.0.1')).toBe('private 192.168.0.0/16');
    expect(internalNetworkOf('[fd00::1]')).toBe('unique-local fc00::/7');
    expect(internalNetworkOf('bank.example')).toBeNull();
    expect(internalNetworkOf('127.0.0.1')).toBeNull();
  });
});
