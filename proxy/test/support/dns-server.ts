// A DNS server for tests, like Docker's embedded one seen from a proxy container: names of
// running containers answer at once, names of removed ones never answer (Docker forwards them
// to an upstream that is unreachable), anything else is NXDOMAIN. UDP only, A and AAAA only.
import dgram from "node:dgram";

export interface DnsServer {
  readonly address: string;
  readonly port: number;
  /** Queries received, as "A name" / "AAAA name". */
  readonly queries: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;

export async function startDnsServer(address: string, live: ReadonlyMap<string, string>, dead: ReadonlySet<string>, port = 53): Promise<DnsServer> {
  const socket = dgram.createSocket("udp4");
  const queries: string[] = [];
  socket.on("message", (message, peer) => {
    const question = parseQuestion(message);
    if (question === null) return;
    queries.push(`${question.type === TYPE_A ? "A" : question.type === TYPE_AAAA ? "AAAA" : question.type} ${question.name}`);
    if (dead.has(question.name)) return; // never answered: the resolver times out
    const ip = live.get(question.name);
    const answers = ip !== undefined && question.type === TYPE_A ? [aRecord(ip)] : [];
    const rcode = ip === undefined ? 3 : 0; // NXDOMAIN, or NOERROR (no AAAA: no data)
    socket.send(reply(message, question.end, rcode, answers), peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => resolve());
  });
  return {
    address,
    port: socket.address().port,
    queries,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

function parseQuestion(message: Buffer): { name: string; type: number; end: number } | null {
  if (message.length < 17) return null;
  let offset = 12;
  const labels: string[] = [];
  while (offset < message.length && message[offset] !== 0) {
    const length = message[offset]!;
    labels.push(message.toString("latin1", offset + 1, offset + 1 + length));
    offset += 1 + length;
  }
  offset += 1;
  if (offset + 4 > message.length) return null;
  return { name: labels.join(".").toLowerCase(), type: message.readUInt16BE(offset), end: offset + 4 };
}

function aRecord(ip: string): Buffer {
  const record = Buffer.alloc(16);
  record.writeUInt16BE(0xc00c, 0); // the question's name
  record.writeUInt16BE(TYPE_A, 2);
  record.writeUInt16BE(1, 4); // IN
  record.writeUInt32BE(600, 6); // Docker's TTL for container names
  record.writeUInt16BE(4, 10);
  ip.split(".").forEach((part, index) => record.writeUInt8(Number(part), 12 + index));
  return record;
}

function reply(query: Buffer, questionEnd: number, rcode: number, answers: Buffer[]): Buffer {
  const head = Buffer.from(query.subarray(0, questionEnd));
  head.writeUInt16BE(0x8180 | rcode, 2); // response, recursion desired and available
  head.writeUInt16BE(1, 4);
  head.writeUInt16BE(answers.length, 6);
  head.writeUInt16BE(0, 8);
  head.writeUInt16BE(0, 10);
  return Buffer.concat([head, ...answers]);
}
