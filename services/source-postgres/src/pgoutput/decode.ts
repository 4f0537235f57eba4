import {
  bigIntToLsn,
  UNCHANGED,
  type Lsn,
  type PgoutputMessage,
  type ReplicaIdentity,
  type Tuple,
} from './messages.ts';

// (2000-01-01 - 1970-01-01) in microseconds: pgoutput timestamps count from PostgreSQL's epoch.
const POSTGRES_EPOCH_OFFSET_US = 946_684_800_000_000n;

// fatal: a wrong byte would silently become U+FFFD in the stream. ignoreBOM: a leading U+FEFF is
// part of the value, and the default decoder would strip it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const REPLICA_IDENTITIES: Readonly<Record<string, ReplicaIdentity>> = {
  d: 'default',
  n: 'nothing',
  f: 'full',
  i: 'index',
};

class Reader {
  readonly buf: Buffer;
  pos = 0;

  constructor(buf: Buffer) {
    this.buf = buf;
  }

  private take(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length) throw new Error(`pgoutput: message truncated at byte ${at}`);
    this.pos += n;
    return at;
  }

  uint8(): number {
    return this.buf.readUInt8(this.take(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }
  // OIDs and xids are unsigned 32-bit; reading them signed would turn large ones negative.
  uint32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }
  lsn(): Lsn {
    return bigIntToLsn(this.buf.readBigUInt64BE(this.take(8)));
  }
  timestamp(): bigint {
    return this.buf.readBigInt64BE(this.take(8)) + POSTGRES_EPOCH_OFFSET_US;
  }
  bytes(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  cstring(): string {
    const end = this.buf.indexOf(0, this.pos);
    if (end < 0) throw new Error(`pgoutput: unterminated string at byte ${this.pos}`);
    const text = utf8.decode(this.buf.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }
  char(): string {
    return String.fromCharCode(this.uint8());
  }
}

function readTuple(r: Reader): Tuple {
  const count = r.int16();
  const tuple: Tuple = [];
  for (let i = 0; i < count; i++) {
    const kind = r.char();
    if (kind === 'n') tuple.push(null);
    else if (kind === 'u') tuple.push(UNCHANGED);
    else if (kind === 't') tuple.push(utf8.decode(r.bytes(r.int32())));
    // 'b' only comes with the binary option, which we never request.
    else throw new Error(`pgoutput: unsupported tuple value kind '${kind}' in column ${i}`);
  }
  return tuple;
}

function expectTupleTag(r: Reader, expected: string): void {
  const tag = r.char();
  if (tag !== expected) throw new Error(`pgoutput: expected tuple '${expected}', got '${tag}'`);
}

function decodeBody(r: Reader, tag: number): PgoutputMessage {
  switch (String.fromCharCode(tag)) {
    case 'B':
      return { tag: 'begin', finalLsn: r.lsn(), commitTime: r.timestamp(), xid: r.uint32() };
    case 'C':
      return {
        tag: 'commit',
        flags: r.uint8(),
        commitLsn: r.lsn(),
        endLsn: r.lsn(),
        commitTime: r.timestamp(),
      };
    case 'O':
      return { tag: 'origin', originLsn: r.lsn(), name: r.cstring() };
    case 'Y':
      return { tag: 'type', typeOid: r.uint32(), schema: r.cstring(), name: r.cstring() };
    case 'R': {
      const relationOid = r.uint32();
      const schema = r.cstring();
      const name = r.cstring();
      const identity = r.char();
      const replicaIdentity = REPLICA_IDENTITIES[identity];
      if (!replicaIdentity) throw new Error(`pgoutput: unknown replica identity '${identity}'`);
      const columns = Array.from({ length: r.int16() }, () => {
        const flags = r.uint8();
        return { name: r.cstring(), typeOid: r.uint32(), typeMod: r.int32(), isKey: (flags & 1) === 1 };
      });
      return { tag: 'relation', relationOid, schema, name, replicaIdentity, columns };
    }
    case 'I': {
      const relationOid = r.uint32();
      expectTupleTag(r, 'N');
      return { tag: 'insert', relationOid, new: readTuple(r) };
    }
    case 'U': {
      const relationOid = r.uint32();
      const kind = r.char();
      if (kind === 'N') return { tag: 'update', relationOid, new: readTuple(r) };
      if (kind !== 'K' && kind !== 'O') throw new Error(`pgoutput: unknown update tuple '${kind}'`);
      const before = readTuple(r);
      expectTupleTag(r, 'N');
      const after = readTuple(r);
      return kind === 'K'
        ? { tag: 'update', relationOid, key: before, new: after }
        : { tag: 'update', relationOid, old: before, new: after };
    }
    case 'D': {
      const relationOid = r.uint32();
      const kind = r.char();
      if (kind === 'K') return { tag: 'delete', relationOid, key: readTuple(r) };
      if (kind === 'O') return { tag: 'delete', relationOid, old: readTuple(r) };
      throw new Error(`pgoutput: unknown delete tuple '${kind}'`);
    }
    case 'T': {
      const count = r.int32();
      const flags = r.uint8();
      const relationOids = Array.from({ length: count }, () => r.uint32());
      return {
        tag: 'truncate',
        relationOids,
        cascade: (flags & 1) !== 0,
        restartIdentity: (flags & 2) !== 0,
      };
    }
    case 'M': {
      const flags = r.uint8();
      const lsn = r.lsn();
      const prefix = r.cstring();
      // Copied so that holding on to a message does not pin the whole replication chunk.
      const content = Buffer.from(r.bytes(r.int32()));
      return { tag: 'message', transactional: (flags & 1) !== 0, lsn, prefix, content };
    }
    default:
      throw new Error(
        `pgoutput: unknown message tag 0x${tag.toString(16).padStart(2, '0')} (${JSON.stringify(String.fromCharCode(tag))})`,
      );
  }
}

/** Decodes one protocol-1 pgoutput message: the XLogData payload the replication stream carries. */
export function decodePgoutput(buffer: Buffer): PgoutputMessage {
  const r = new Reader(buffer);
  const message = decodeBody(r, r.uint8());
  // Leftover bytes mean we misread the layout (another proto_version, say): fail, do not guess.
  if (r.pos !== buffer.length) {
    throw new Error(`pgoutput: ${buffer.length - r.pos} unexpected trailing bytes after '${message.tag}'`);
  }
  return message;
}
