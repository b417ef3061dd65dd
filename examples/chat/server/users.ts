// The user directory: seed users read from a JSON file, passwords checked against scrypt hashes.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FORBIDDEN_IN_MESSAGE, type BannedUser, type PublicUser } from '../shared/protocol.js';

/** One entry of users.json. */
export interface UserRecord extends PublicUser {
  /** The login name: only ever typed by its owner, never shown to others. */
  username: string;
  /** scrypt(password, salt) with the parameters below, both hex. */
  password: { salt: string; hash: string };
  /** Only in the demo seed, so `npm start` can print it. A real user file never holds a password. */
  demoPassword?: string;
}

const KEY_LENGTH = 64;
// Node's defaults (N = 2^14, r = 8, p = 1): about 16 MiB and a few tens of ms per check.
const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };

function deriveKey(password: string, salt: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, SCRYPT, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

/** What goes in users.json for a new password (see hash-password.ts). */
export async function hashPassword(password: string): Promise<{ salt: string; hash: string }> {
  const salt = randomBytes(16);
  return { salt: salt.toString('hex'), hash: (await deriveKey(password, salt)).toString('hex') };
}

export async function passwordMatches(password: string, stored: { salt: string; hash: string }): Promise<boolean> {
  const expected = Buffer.from(stored.hash, 'hex');
  const actual = await deriveKey(password, Buffer.from(stored.salt, 'hex'));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function loadUsers(file: string | URL): UserRecord[] {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as { users?: unknown };
  if (!Array.isArray(parsed.users)) throw new TypeError(`${String(file)}: expected { "users": [...] }`);
  return parsed.users.map((entry, i) => checkRecord(entry, `${String(file)}: users[${i}]`));
}

/** A public id: what tokens (`sub`), presence and messages name a user by. */
export const USER_ID = /^[A-Za-z0-9_-]{4,64}$/;

function checkRecord(value: unknown, where: string): UserRecord {
  const user = value as Partial<UserRecord> | null;
  const hex = /^[0-9a-f]+$/;
  if (!user || typeof user.username !== 'string' || !/^[a-z0-9_-]{1,32}$/.test(user.username)) throw new TypeError(`${where}: bad "username"`);
  if (typeof user.id !== 'string' || !USER_ID.test(user.id)) throw new TypeError(`${where}: "id" must be 4 to 64 of A-Z a-z 0-9 _ - (a public id, not the username)`);
  if (typeof user.name !== 'string' || user.name.length === 0 || user.name.length > 64 || FORBIDDEN_IN_MESSAGE.test(user.name)) throw new TypeError(`${where}: bad "name"`);
  if (user.role !== 'admin' && user.role !== 'member') throw new TypeError(`${where}: "role" must be "admin" or "member"`);
  if (typeof user.password?.salt !== 'string' || !hex.test(user.password.salt) || typeof user.password.hash !== 'string' || user.password.hash.length !== KEY_LENGTH * 2 || !hex.test(user.password.hash)) {
    throw new TypeError(`${where}: "password" must be { salt, hash } in hex (run examples/chat/hash-password.ts)`);
  }
  return user as UserRecord;
}

/**
 * Users and who is banned. Banned users cannot log in or refresh, and their tokens are
 * refused (the `isRevoked` hook asks `isBanned`). Kept in memory: a multi-node deployment
 * moves `banned` to shared storage.
 */
export class UserDirectory {
  /** By login name, for sign-in. */
  private readonly users = new Map<string, UserRecord>();
  /** By public id, for everything after sign-in. */
  private readonly byId = new Map<string, UserRecord>();
  private readonly banned = new Set<string>();
  /** Compared against when the username is unknown, so both cases cost one scrypt. */
  private readonly decoy: Promise<{ salt: string; hash: string }>;

  constructor(records: readonly UserRecord[]) {
    for (const record of records) {
      if (this.users.has(record.username)) throw new TypeError(`duplicate user "${record.username}"`);
      if (this.byId.has(record.id)) throw new TypeError(`duplicate user id "${record.id}"`);
      this.users.set(record.username, record);
      this.byId.set(record.id, record);
    }
    this.decoy = hashPassword(randomBytes(16).toString('hex'));
  }

  /** The user if the password is theirs, else null. Takes as long for an unknown username. */
  async verify(username: string, password: string): Promise<PublicUser | null> {
    const user = this.users.get(username);
    const matches = await passwordMatches(password, user?.password ?? (await this.decoy));
    return user && matches ? toPublic(user) : null;
  }

  /** By public id. */
  get(id: string): PublicUser | undefined {
    const user = this.byId.get(id);
    return user && toPublic(user);
  }

  isBanned(id: string): boolean {
    return this.banned.has(id);
  }

  ban(id: string): void {
    this.banned.add(id);
  }

  unban(id: string): void {
    this.banned.delete(id);
  }

  bannedUsers(): BannedUser[] {
    return [...this.banned].map((id) => ({ id, name: this.byId.get(id)?.name ?? id })).sort((a, b) => a.name.localeCompare(b.name));
  }
}

function toPublic({ id, name, role }: UserRecord): PublicUser {
  return { id, name, role };
}
