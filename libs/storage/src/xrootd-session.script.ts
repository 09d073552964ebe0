/**
 * The XRootD client session: a small Python program over the XRootD project's own client library (XrdCl, through
 * its Python bindings, Debian's python3-xrootd), run by xrootd-session.ts as one long-lived child process that
 * serves every XRootD operation of a Tarn process (many files, many endpoints, in parallel threads; XrdCl keeps
 * one connection per server). No XRootD wire protocol is written here: only the framing between Node and this
 * process.
 *
 * Frames, both ways: u32 length of the rest, u32 call id, u8 kind ('Q' call, 'R' answer), u32 JSON length, the
 * JSON, then binary data (a read's bytes, a write's bytes). Each call gets exactly one answer:
 * {"ok": true, "value": ...} or {"ok": false, "error": {"kind", "code", "errno", "message"}}.
 * It is kept as a string here so that the built Tarn (dist/) carries it without packaging steps.
 */
export const XROOTD_SESSION_SCRIPT = String.raw`
import json, os, struct, sys, threading, traceback
from concurrent.futures import ThreadPoolExecutor

try:
    from XRootD import client
    from XRootD.client.flags import AccessMode, DirListFlags, MkDirFlags, OpenFlags, QueryCode, StatInfoFlags
except Exception as error:  # the library is missing: say so and stop
    sys.stderr.write('tarn-xrootd-session: cannot import the XRootD client library: %s\n' % error)
    sys.exit(3)

FRAME = struct.Struct('>IIBI')
stdin = sys.stdin.buffer
# Frames go to a copy of the original stdout; anything else written to fd 1 (by a library) goes to stderr.
stdout = os.fdopen(os.dup(1), 'wb')
os.dup2(2, 1)
out_lock = threading.Lock()
files = {}
files_lock = threading.Lock()
next_handle = [1]
listings = {}
cancelled = set()
filesystems = {}
# A server answers at most 'xrootd.chksum max' (default 4) checksum requests at once; on one connection (XrdCl
# shares one per server) more than that stall: keep below it.
CHECKSUMS_AT_ONCE = int(os.environ.get('TARN_XROOTD_CHECKSUMS', '4'))
checksum_slots = {}

# kXR error numbers (XProtocol.hh) and XrdCl status codes (XrdClStatus.hh) grouped by what they mean to Tarn.
NOT_FOUND = {3011}
DENIED = {3010, 3028, 3030}
FULL = {3009, 3021}
IS_DIRECTORY = {3016}
BUSY = {3012, 3014, 3020, 3024, 3029, 3034, 3035}
UNSUPPORTED = {3013}
CHECKSUM = {3019}
NETWORK_CODES = {1, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 202, 206, 301}
AUTH_CODES = {203, 204}
UNSUPPORTED_CODES = {13, 15, 205}


class Failure(Exception):
    def __init__(self, kind, message, code=0, errno=0):
        Exception.__init__(self, message)
        self.kind, self.message, self.code, self.errno = kind, message, code, errno


def kind_of(status):
    code, errno = status.code, status.errno
    if code == 400:
        if errno in NOT_FOUND: return 'notfound'
        if errno in DENIED: return 'denied'
        if errno in FULL: return 'full'
        if errno in IS_DIRECTORY: return 'isdir'
        if errno in BUSY: return 'unavailable'
        if errno in UNSUPPORTED: return 'unsupported'
        if errno in CHECKSUM: return 'checksum'
        return 'failed'
    if code in NETWORK_CODES: return 'unavailable'
    if code in AUTH_CODES: return 'denied'
    if code in UNSUPPORTED_CODES: return 'unsupported'
    return 'failed'


def check(status, what):
    if not status.ok:
        raise Failure(kind_of(status), '%s: %s' % (what, status.message.strip()), status.code, status.errno)


def filesystem(url):
    fs = filesystems.get(url)
    if fs is None:
        fs = filesystems[url] = client.FileSystem(url)
    return fs


def checksum(fs, path, kind):
    slots = checksum_slots.setdefault(fs.url.hostid, threading.BoundedSemaphore(CHECKSUMS_AT_ONCE))
    with slots:
        status, answer = fs.query(QueryCode.CHECKSUM, path + '?cks.type=' + kind)
    if not status.ok or not answer:
        return None
    words = answer.rstrip(b'\0').decode('utf-8', 'replace').split()
    if len(words) >= 2 and words[0].lower() == kind:
        return words[1].lower()
    return None


def stat(fs, path):
    status, info = fs.stat(path)
    check(status, 'stat')
    return {'size': info.size, 'mtime': info.modtime, 'dir': bool(info.flags & StatInfoFlags.IS_DIR)}


def op_hello(args, data):
    from XRootD.client import _version
    return {'version': getattr(_version, 'version', '?'), 'pid': os.getpid()}, None


def op_stat(args, data):
    fs = filesystem(args['url'])
    found = stat(fs, args['path'])
    if args.get('checksum') and not found['dir']:
        value = checksum(fs, args['path'], 'adler32')
        if value: found['adler32'] = value
    return found, None


def op_checksum(args, data):
    return {'value': checksum(filesystem(args['url']), args['path'], args.get('type', 'adler32'))}, None


def op_open(args, data):
    f = client.File()
    if args['mode'] == 'r':
        status, _ = f.open(args['file'], OpenFlags.READ)
        check(status, 'open for reading')
        status, info = f.stat()
        check(status, 'stat')
        size = info.size
    else:
        status, _ = f.open(args['file'], OpenFlags.DELETE | OpenFlags.MAKEPATH,
                           AccessMode.UR | AccessMode.UW | AccessMode.GR | AccessMode.OR)
        check(status, 'open for writing')
        size = 0
    with files_lock:
        handle = next_handle[0]
        next_handle[0] += 1
        files[handle] = f
    return {'handle': handle, 'size': size}, None


def the_file(args):
    f = files.get(args['handle'])
    if f is None:
        raise Failure('failed', 'no open file %s in this session' % args['handle'])
    return f


def op_read(args, data):
    status, chunk = the_file(args).read(args['offset'], args['size'])
    check(status, 'read')
    return {'bytes': len(chunk)}, chunk


def op_write(args, data):
    status, _ = the_file(args).write(data, args['offset'])
    check(status, 'write')
    return {}, None


def op_close(args, data):
    with files_lock:
        f = files.pop(args['handle'], None)
    if f is None:
        return {}, None
    status, _ = f.close()
    if args.get('check', True):
        check(status, 'close')
    return {}, None


def op_mv(args, data):
    status, _ = filesystem(args['url']).mv(args['source'], args['target'])
    check(status, 'rename')
    return {}, None


def op_rm(args, data):
    fs = filesystem(args['url'])
    try:
        found = stat(fs, args['path'])
    except Failure as failure:
        if failure.kind == 'notfound':
            return {'existed': False}, None
        raise
    if found['dir']:
        raise Failure('isdir', 'it is a directory, not a file; refusing to delete it with its content')
    status, _ = fs.rm(args['path'])
    if not status.ok and kind_of(status) == 'notfound':
        return {'existed': False}, None
    check(status, 'delete')
    return {'existed': True}, None


def op_mkdir(args, data):
    status, _ = filesystem(args['url']).mkdir(args['path'], MkDirFlags.MAKEPATH)
    check(status, 'create the directory')
    return {}, None


def walk(fs, root):
    """Files under root, breadth first, as (relative path, size, mtime); directories are walked, never listed."""
    pending = ['']
    while pending:
        relative = pending.pop(0)
        status, listing = fs.dirlist(root.rstrip('/') + ('/' + relative if relative else '') or '/', DirListFlags.STAT)
        if not status.ok:
            if kind_of(status) == 'notfound' and relative == '':
                return
            if kind_of(status) == 'notfound':
                continue  # removed while walking
            check(status, 'list')
        for entry in listing:
            if entry.name in ('.', '..'):
                continue
            path = relative + '/' + entry.name if relative else entry.name
            info = entry.statinfo
            if info is not None and info.flags & StatInfoFlags.IS_DIR:
                pending.append(path)
            else:
                yield [path, info.size if info else 0, info.modtime if info else 0]


def op_list(args, data):
    cursor = args.get('cursor')
    if cursor is None:
        cursor = str(args['id'])
        listings[cursor] = walk(filesystem(args['url']), args['path'])
    walker = listings.get(cursor)
    if walker is None:
        raise Failure('failed', 'the listing %s is no longer open' % cursor)
    page = []
    try:
        for entry in walker:
            page.append(entry)
            if len(page) >= args.get('page', 5000):
                return {'entries': page, 'cursor': cursor}, None
    except BaseException:
        listings.pop(cursor, None)
        raise
    listings.pop(cursor, None)
    return {'entries': page, 'cursor': None}, None


def op_list_close(args, data):
    listings.pop(args['cursor'], None)
    return {}, None


def op_space(args, data):
    fs = filesystem(args['url'])
    status, answer = fs.query(QueryCode.SPACE, args['path'])
    if status.ok and answer:
        fields = dict(part.split('=', 1) for part in answer.rstrip(b'\0').decode().split('&') if '=' in part)
        out = {}
        for key, name in (('oss.space', 'total'), ('oss.free', 'free'), ('oss.used', 'used')):
            try:
                value = int(fields[key])
                if value >= 0: out[name] = value
            except (KeyError, ValueError):
                pass
        return out, None
    check(status, 'query the space')
    return {}, None


class CopyWatch(object):
    def __init__(self, call_id):
        self.call_id = call_id

    def begin(self, job, total, source, target): pass
    def end(self, job, results): pass
    def update(self, job, processed, total): pass

    def should_cancel(self, job):
        return self.call_id in cancelled


def op_copy(args, data, call_id):
    process = client.CopyProcess()
    process.add_job(args['source'], args['target'], force=True, mkdir=True, thirdparty=args.get('thirdparty', 'only'),
                    tpctimeout=args.get('timeout', 1800), inittimeout=args.get('inittimeout', 600))
    check(process.prepare(), 'prepare the copy')
    status, results = process.run(CopyWatch(call_id))
    cancelled.discard(call_id)
    for result in results or []:
        job = result.get('status') if isinstance(result, dict) else None
        if job is not None and not job.ok:
            check(job, 'third-party copy')
    check(status, 'third-party copy')
    return {}, None


def op_cancel(args, data):
    cancelled.add(args['call'])
    return {}, None


OPS = {name[3:]: fn for name, fn in list(globals().items()) if name.startswith('op_')}


def send(call_id, answer, blob):
    body = json.dumps(answer).encode()
    blob = blob or b''
    header = FRAME.pack(4 + 1 + 4 + len(body) + len(blob), call_id, ord('R'), len(body))
    with out_lock:
        stdout.write(header)
        stdout.write(body)
        if blob: stdout.write(blob)
        stdout.flush()


def handle(call_id, request, blob):
    try:
        op = request['op']
        fn = OPS.get(op)
        if fn is None:
            raise Failure('failed', 'unknown operation %r' % op)
        value, out = fn(request.get('args', {}), blob, call_id) if op == 'copy' else fn(request.get('args', {}), blob)
        send(call_id, {'ok': True, 'value': value}, out)
    except Failure as failure:
        send(call_id, {'ok': False, 'error': {'kind': failure.kind, 'message': failure.message, 'code': failure.code, 'errno': failure.errno}}, None)
    except Exception as error:
        send(call_id, {'ok': False, 'error': {'kind': 'failed', 'message': '%s: %s' % (type(error).__name__, error), 'code': 0, 'errno': 0}}, None)


def read_exactly(n):
    parts, left = [], n
    while left > 0:
        chunk = stdin.read(left)
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b''.join(parts)


def main():
    pool = ThreadPoolExecutor(max_workers=int(os.environ.get('TARN_XROOTD_THREADS', '128')))
    while True:
        head = read_exactly(4)
        if head is None:
            break
        (length,) = struct.unpack('>I', head)
        rest = read_exactly(length)
        if rest is None:
            break
        call_id, kind, json_length = struct.unpack('>IBI', rest[:9])
        request = json.loads(rest[9:9 + json_length])
        blob = rest[9 + json_length:]
        pool.submit(handle, call_id, request, blob)
    os._exit(0)  # Node went away: nothing is waiting for the answers


main()
`;
