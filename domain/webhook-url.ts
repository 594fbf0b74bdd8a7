// Where a bank's webhook may point: the one rule, used when the URL is stored (db/webhook-secrets.ts)
// and again before every push (activities/webhook-post.ts), so a URL stored before the rule is
// refused too.
//
// - https://, or plain http:// only to a loopback address (127.0.0.0/8, ::1, localhost), where the
//   push never leaves the machine. The scheme part is also a CHECK constraint on banks.webhook_url.
// - The host may not be a literal IP address inside the SPC's own network: private (10/8,
//   172.16/12, 192.168/16), link-local (169.254/16 with the cloud metadata service 169.254.169.254,
//   fe80::/10), unique-local (fc00::/7) or unspecified (0.0.0.0/8, ::). A push there would let
//   whoever may set a webhook reach internal services from the worker (SSRF). IPv4-mapped IPv6
//   forms (::ffff:10.0.0.1) count as the IPv4 address; the URL parser has already turned decimal and
//   hex forms (https://2852039166/) into dotted quads.
// - Loopback stays allowed on purpose: the tests and `spc up` receive their pushes on a local port,
//   and a process on the worker's own machine is already inside the trust boundary.
// - A host NAME that resolves to a private address (DNS rebinding) is not visible in the URL: the
//   push checks the resolved address with internalNetworkOf at connect time (activities/webhook-post.ts).
import { BlockList, isIP } from 'node:net';

export type WebhookUrlRefusalCode = 'WEBHOOK_URL_INVALID' | 'WEBHOOK_URL_INSECURE' | 'WEBHOOK_URL_PRIVATE_ADDRESS';

export interface WebhookUrlRefusal {
  code: WebhookUrlRefusalCode;
  /** Why, for the operator: says what would be allowed instead. */
  reason: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]']);
const IPV4_LOOPBACK_RE = /^127(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** Inside the SPC's network: never a webhook's host. */
const INTERNAL_NETWORKS: ReadonlyArray<{ name: string; cidr: string }> = [
  { name: 'private', cidr: '10.0.0.0/8' },
  { name: 'private', cidr: '172.16.0.0/12' },
  { name: 'private', cidr: '192.168.0.0/16' },
  { name: 'link-local (cloud metadata)', cidr: '169.254.0.0/16' },
  { name: 'unspecified', cidr: '0.0.0.0/8' },
  { name: 'link-local', cidr: 'fe80::/10' },
  { name: 'unique-local', cidr: 'fc00::/7' },
  { name: 'unspecified', cidr: '::/128' },
];

const BLOCKS = INTERNAL_NETWORKS.map(({ name, cidr }) => {
  const [address, prefix] = cidr.split('/') as [string, string];
  const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
  const list = new BlockList();
  list.addSubnet(address, Number(prefix), family);
  return { name, cidr, list };
});

/** The internal network a literal IP host lies in (e.g. "link-local (cloud metadata) 169.254.0.0/16"), or null. */
export function internalNetworkOf(hostname: string): string | null {
  const address = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  const family = isIP(address);
  if (family === 0) return null;
  const hit = BLOCKS.find((b) => b.list.check(address, family === 6 ? 'ipv6' : 'ipv4'));
  return hit ? `${hit.name} ${hit.cidr}` : null;
}

function isLoopback(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname) || IPV4_LOOPBACK_RE.test(hostname);
}

/** Why a webhook URL may not be used (a code and a reason), or null when it may. */
export function webhookUrlRefusal(raw: string): WebhookUrlRefusal | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { code: 'WEBHOOK_URL_INVALID', reason: 'it is not a URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { code: 'WEBHOOK_URL_INSECURE', reason: `scheme ${url.protocol} is not https:` };
  if (!url.hostname) return { code: 'WEBHOOK_URL_INVALID', reason: 'it names no host' };
  const internal = internalNetworkOf(url.hostname);
  if (internal) return { code: 'WEBHOOK_URL_PRIVATE_ADDRESS', reason: `host ${url.hostname} is a ${internal} address inside the SPC's network: use the bank's public host name` };
  if (url.protocol === 'https:' || isLoopback(url.hostname)) return null;
  return { code: 'WEBHOOK_URL_INSECURE', reason: `plain http:// to ${url.hostname} would send payment lists unencrypted: use https:// (http:// is allowed to loopback addresses only)` };
}

/** Why a webhook URL may not be used, or null when it may. */
export function webhookUrlProblem(raw: string): string | null {
  return webhookUrlRefusal(raw)?.reason ?? null;
}
