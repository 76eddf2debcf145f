/**
 * Every file the package reads or writes goes through here, so that one set
 * of rules holds everywhere: inputs and outputs are regular files (a device
 * could be read for ever, a FIFO could block for ever, a symlink or a device
 * node must not be replaced), inputs are read up to a size limit, writes are
 * atomic (a temporary file in the same folder, synced, renamed over the
 * target) and a failed write leaves no temporary behind. I/O failures become
 * ERR_IO errors that name the parameter, the path and the system call.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { DilemmaError, ErrorCode } from './errors.js';

/**
 * The file-system calls this module makes. Tests replace entries to inject
 * failures (a full disk at any write); nothing else should touch it.
 */
export const fsCalls = {
  openSync: fs.openSync,
  closeSync: fs.closeSync,
  fstatSync: fs.fstatSync,
  lstatSync: fs.lstatSync,
  readSync: fs.readSync,
  writeSync: fs.writeSync,
  fsyncSync: fs.fsyncSync,
  ftruncateSync: fs.ftruncateSync,
  renameSync: fs.renameSync,
  unlinkSync: fs.unlinkSync,
  mkdirSync: fs.mkdirSync,
  readdirSync: fs.readdirSync,
};

const C = fs.constants;
// O_NONBLOCK makes opening a FIFO return at once instead of waiting for a
// peer; O_NOCTTY keeps a terminal device from becoming the controlling one.
const OPEN_FLAGS = (C.O_NONBLOCK ?? 0) | (C.O_NOCTTY ?? 0);
// Writers in place never follow a symlink put there after the check.
const NOFOLLOW = C.O_NOFOLLOW ?? 0;

/** A failure with a file: the stable `code`, plus the path and, for I/O failures, the system call and its error. */
export class FileError extends DilemmaError {
  readonly path: string;
  readonly syscall: string | undefined;
  readonly errno: string | undefined;
  constructor(code: ErrorCode, message: string, path: string, cause?: unknown) {
    super(code, message, cause === undefined ? undefined : { cause });
    this.name = 'FileError';
    this.path = path;
    const sys = cause as { syscall?: unknown; code?: unknown } | undefined;
    this.syscall = typeof sys?.syscall === 'string' ? sys.syscall : undefined;
    this.errno = typeof sys?.code === 'string' ? sys.code : undefined;
  }
}

function prefix(param: string | undefined): string {
  return param ? `${param}: ` : '';
}

function describe(e: unknown): string {
  const err = e as { code?: unknown; syscall?: unknown; message?: unknown };
  if (typeof err?.code === 'string' && typeof err.syscall === 'string') return `${err.code} (${err.syscall})`;
  return String(err?.message ?? e);
}

function ioError(param: string | undefined, action: string, path: string, e: unknown, code: ErrorCode = ErrorCode.Io): DilemmaError {
  if (e instanceof DilemmaError) return e;
  return new FileError(code, `${prefix(param)}cannot ${action} ${path}: ${describe(e)}`, path, e);
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function notAFile(param: string | undefined, path: string, st: fs.Stats): FileError {
  return new FileError(ErrorCode.NotAFile, `${prefix(param)}${path} is ${kindOf(st)}, not a regular file`, path);
}

function checkPath(path: unknown, param: string | undefined): asserts path is string {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) {
    throw new DilemmaError(ErrorCode.InvalidArgument, `${prefix(param)}the path must be a non-empty string without NUL characters`);
  }
}

function closeQuietly(fd: number): void {
  try {
    fsCalls.closeSync(fd);
  } catch {
    // the descriptor is gone either way
  }
}

function removeQuietly(path: string): void {
  try {
    fsCalls.unlinkSync(path);
  } catch {
    // already gone, or never created
  }
}

export interface ReadOptions {
  /** The parameter that gave the path, named in errors. */
  param?: string;
  /** What the file holds ('checkpoint', 'config'), named in errors. */
  what?: string;
  /** Reading stops with ERR_TOO_LARGE past this many bytes. */
  maxBytes: number;
  /** The code when the file cannot be opened (default ERR_IO). */
  code?: ErrorCode;
}

/** Opens an existing regular file for reading without blocking; refuses anything else with ERR_NOT_A_FILE. */
function openInput(path: string, o: { param?: string; what?: string; code?: ErrorCode }): { fd: number; size: number } {
  checkPath(path, o.param);
  let fd: number;
  try {
    fd = fsCalls.openSync(path, C.O_RDONLY | OPEN_FLAGS);
  } catch (e) {
    throw ioError(o.param, `read ${o.what ?? 'file'}`, path, e, o.code);
  }
  try {
    const st = fsCalls.fstatSync(fd);
    if (!st.isFile()) throw notAFile(o.param, path, st);
    return { fd, size: st.size };
  } catch (e) {
    closeQuietly(fd);
    throw ioError(o.param, `read ${o.what ?? 'file'}`, path, e, o.code);
  }
}

/** One read at the file's position into buf; a failure becomes the reader's I/O error. */
function readInto(fd: number, buf: Buffer, path: string, o: { param?: string; what?: string }): number {
  try {
    return fsCalls.readSync(fd, buf, 0, buf.length, null);
  } catch (e) {
    throw ioError(o.param, `read ${o.what ?? 'file'}`, path, e);
  }
}

/**
 * The whole content of a regular file, at most maxBytes (files whose stated
 * size is 0, such as some kernel files, are read to their end under the same limit).
 */
export function readRegularFile(path: string, o: ReadOptions): Buffer {
  const { fd, size } = openInput(path, o);
  const tooLarge = () =>
    new FileError(ErrorCode.TooLarge, `${prefix(o.param)}${o.what ?? 'file'} ${path} is larger than ${o.maxBytes} bytes`, path);
  try {
    if (size > o.maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(Math.max(size - total, 65536), o.maxBytes - total + 1));
      const n = readInto(fd, chunk, path, o);
      if (n === 0) break;
      total += n;
      if (total > o.maxBytes) throw tooLarge();
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Checks that path is an existing regular file (for readers outside this
 * module, such as a native model loader), so that no device or FIFO reaches them.
 */
export function checkInputFile(path: string, o: { param?: string; what?: string; code?: ErrorCode } = {}): void {
  closeQuietly(openInput(path, o).fd);
}

/**
 * Reads a regular file in chunks, handing each complete line (without its
 * newline) and the byte offset just past it to onLine, which returns false
 * to stop. A last line without a newline is not handed over: it is a torn
 * write. Returns the offset past the last line accepted and the file size.
 */
export function scanLines(
  path: string,
  o: { param?: string; what?: string; maxLineBytes: number },
  onLine: (line: string, end: number) => boolean,
): { end: number; size: number } {
  const { fd } = openInput(path, o);
  try {
    const chunk = Buffer.allocUnsafe(1 << 20);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0; // bytes read so far
    let end = 0; // past the last accepted line
    let accepting = true;
    for (;;) {
      const n = readInto(fd, chunk, path, o);
      if (n === 0) break;
      let from = 0;
      while (accepting) {
        const nl = chunk.indexOf(0x0a, from);
        if (nl < 0 || nl >= n) break;
        const piece = chunk.subarray(from, nl);
        const line = pendingBytes ? Buffer.concat([...pending, piece]).toString('utf8') : piece.toString('utf8');
        pending = [];
        pendingBytes = 0;
        from = nl + 1;
        if (onLine(line, offset + from)) end = offset + from;
        else accepting = false;
      }
      if (accepting && from < n) {
        pendingBytes += n - from;
        if (pendingBytes > o.maxLineBytes) accepting = false;
        else pending.push(Buffer.from(chunk.subarray(from, n)));
      }
      offset += n;
      if (!accepting) {
        try {
          return { end, size: fsCalls.fstatSync(fd).size };
        } catch (e) {
          throw ioError(o.param, `read ${o.what ?? 'file'}`, path, e);
        }
      }
    }
    return { end, size: offset };
  } finally {
    closeQuietly(fd);
  }
}

/**
 * Refuses an output path where something other than a regular file exists
 * (a symlink, FIFO, device or folder), which an atomic rename would replace
 * and an append would write through.
 */
export function checkOutputPath(path: string, param?: string): void {
  checkPath(path, param);
  let st: fs.Stats;
  try {
    st = fsCalls.lstatSync(path);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return;
    throw ioError(param, 'write', path, e);
  }
  if (!st.isFile()) throw notAFile(param, path, st);
}

function makeFolder(dir: string, param: string | undefined, path: string): void {
  try {
    fsCalls.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw ioError(param, 'create the folder of', path, e);
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let off = 0;
  while (off < bytes.length) off += fsCalls.writeSync(fd, bytes, off, bytes.length - off);
}

function toBytes(content: string | Uint8Array): Uint8Array {
  return typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
}

// Temporaries this process is writing now: a sweep must not take them.
const inFlight = new Set<string>();
const TMP_TAG = /^(\d+)\.[0-9a-f]{12}\.tmp$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: unknown }).code === 'EPERM';
  }
}

/**
 * Removes temporaries of path left by writers that were killed (their process
 * is gone), so that a kill during a write leaves nothing behind for good.
 */
function sweepTemporaries(path: string): void {
  const dir = dirname(path);
  const lead = `.${basename(path)}.`;
  let names: string[];
  try {
    names = fsCalls.readdirSync(dir) as string[];
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(lead)) continue;
    const m = TMP_TAG.exec(name.slice(lead.length));
    if (!m) continue;
    const full = join(dir, name);
    const pid = Number(m[1]);
    if (inFlight.has(full) || (pid !== process.pid && alive(pid))) continue;
    removeQuietly(full);
  }
}

function syncFolder(dir: string): void {
  // Makes the rename durable; some file systems refuse to sync a folder, which costs only durability.
  let fd: number | undefined;
  try {
    fd = fsCalls.openSync(dir, C.O_RDONLY | OPEN_FLAGS);
    fsCalls.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
}

/**
 * A file written in full under a temporary name beside its target and then
 * renamed over it, so that readers see the old content or the new, never a
 * part. abort() (and any failure) removes the temporary.
 */
export class AtomicFile {
  readonly path: string;
  readonly tmp: string;
  readonly #param: string | undefined;
  #fd: number | undefined;
  #done = false;

  private constructor(path: string, tmp: string, fd: number, param: string | undefined) {
    this.path = path;
    this.tmp = tmp;
    this.#fd = fd;
    this.#param = param;
  }

  static open(path: string, param?: string): AtomicFile {
    checkOutputPath(path, param);
    makeFolder(dirname(path), param, path);
    sweepTemporaries(path);
    const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    inFlight.add(tmp);
    let fd: number;
    try {
      fd = fsCalls.openSync(tmp, C.O_WRONLY | C.O_CREAT | C.O_EXCL | OPEN_FLAGS, 0o644);
    } catch (e) {
      inFlight.delete(tmp);
      removeQuietly(tmp);
      throw ioError(param, 'write', path, e);
    }
    return new AtomicFile(path, tmp, fd, param);
  }

  #fail(e: unknown, action = 'write'): never {
    this.abort();
    throw ioError(this.#param, action, this.path, e);
  }

  write(content: string | Uint8Array): void {
    if (this.#fd === undefined) throw new DilemmaError(ErrorCode.Internal, `${this.path}: write after close`);
    try {
      writeAll(this.#fd, toBytes(content));
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Flushes the content to the disk and closes the temporary; commit() makes it visible. */
  finish(): void {
    if (this.#fd === undefined) return;
    const fd = this.#fd;
    try {
      fsCalls.fsyncSync(fd);
      this.#fd = undefined;
      fsCalls.closeSync(fd);
    } catch (e) {
      this.#fail(e);
    }
  }

  /** Renames the finished temporary over the target (refused when the target has become something other than a regular file). */
  commit(): void {
    this.finish();
    try {
      checkOutputPath(this.path, this.#param);
      fsCalls.renameSync(this.tmp, this.path);
    } catch (e) {
      this.#fail(e, 'replace');
    }
    this.#done = true;
    inFlight.delete(this.tmp);
    syncFolder(dirname(this.path));
  }

  /** Closes and removes the temporary; never throws. */
  abort(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#fd !== undefined) closeQuietly(this.#fd);
    this.#fd = undefined;
    removeQuietly(this.tmp);
    inFlight.delete(this.tmp);
  }
}

/** Writes a file atomically (see AtomicFile); on any failure the target is unchanged and no temporary remains. */
export function writeAtomic(path: string, content: string | Uint8Array, param?: string): void {
  writeAtomicAll([{ path, content }], param);
}

/**
 * Writes several files atomically: every one in full first, then the
 * renames in order, so that a failure while writing changes none of them.
 */
export function writeAtomicAll(files: ReadonlyArray<{ path: string; content: string | Uint8Array }>, param?: string): void {
  const open: AtomicFile[] = [];
  try {
    for (const f of files) {
      const file = AtomicFile.open(f.path, param);
      open.push(file);
      file.write(f.content);
      file.finish();
    }
    for (const file of open) file.commit();
  } catch (e) {
    for (const file of open) file.abort();
    throw e;
  }
}

/**
 * Appends to a log (created if missing) in one write. A failed or partial
 * write is cut back to the previous end, so that the log never keeps a torn line.
 */
export function appendToLog(path: string, text: string, param?: string): void {
  checkOutputPath(path, param);
  makeFolder(dirname(path), param, path);
  let fd: number;
  try {
    fd = fsCalls.openSync(path, C.O_WRONLY | C.O_APPEND | C.O_CREAT | NOFOLLOW | OPEN_FLAGS, 0o644);
  } catch (e) {
    throw ioError(param, 'append to', path, e);
  }
  let before = -1;
  try {
    const st = fsCalls.fstatSync(fd);
    if (!st.isFile()) throw notAFile(param, path, st);
    before = st.size;
    writeAll(fd, Buffer.from(text, 'utf8'));
  } catch (e) {
    if (before >= 0) {
      try {
        fsCalls.ftruncateSync(fd, before);
      } catch {
        // a resume cuts the torn line instead
      }
    }
    throw ioError(param, 'append to', path, e);
  } finally {
    closeQuietly(fd);
  }
}

/** Flushes a log to the disk (before a checkpoint that counts on its lines); a missing log is fine. */
export function syncLog(path: string, param?: string): void {
  let fd: number;
  try {
    fd = fsCalls.openSync(path, C.O_RDONLY | OPEN_FLAGS);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return;
    throw ioError(param, 'sync', path, e);
  }
  try {
    fsCalls.fsyncSync(fd);
  } catch (e) {
    throw ioError(param, 'sync', path, e);
  } finally {
    closeQuietly(fd);
  }
}

/** Cuts a regular file to `size` bytes in one call (a kill leaves it either whole or cut). */
export function truncateFile(path: string, size: number, param?: string): void {
  checkOutputPath(path, param);
  let fd: number;
  try {
    fd = fsCalls.openSync(path, C.O_WRONLY | NOFOLLOW | OPEN_FLAGS);
  } catch (e) {
    throw ioError(param, 'repair', path, e);
  }
  try {
    const st = fsCalls.fstatSync(fd);
    if (!st.isFile()) throw notAFile(param, path, st);
    fsCalls.ftruncateSync(fd, size);
  } catch (e) {
    throw ioError(param, 'repair', path, e);
  } finally {
    closeQuietly(fd);
  }
}
