#!/usr/bin/env python3
"""tack's helper on a remote training machine (Python 3.8+, standard library only).

tack copies this file to <remote folder>/.tack/ and runs it over ssh. It answers in JSON and
never parses the trainer's output: the log is parsed at home by the same code as local runs.

  info        the machine: python, disk, rsync, GPUs (nvidia-smi), the sd-scripts checkout, and
              the engine probe run with the engine's own Python
  manifest    size, mtime and SHA-256 of files under a folder (hashes cached by size and mtime)
  receive     unpack a tar stream from stdin into a folder, each file written atomically
  pack        write a tar stream of files to stdout
  delete      remove files under a folder
  launch      start `supervise` detached (own session, stdio on /dev/null) and report its pids
  supervise   run the trainer with its output appended to the run's log.txt, record its pids and
              its exit, stop it on request, when it stalls, or when a stop pattern shows in the log
  follow      stream a run home: new log bytes, finished output files, heartbeats, the exit
  stop        ask a run's supervisor to stop the trainer
  status      what a run is doing (for `tack runs` while detached)
  fetch       download a file (resumable, with SHA-256 check) and report progress
  header      the safetensors header of a model file
  reach       which URLs' hosts accept a TCP connection
  run         run a program in a folder with extra environment, output streamed (engine install)
  dirstate    whether a folder exists, is empty, is a git checkout, has a venv (engine install)

Requests with structured input read one JSON document from stdin, so nothing (paths, tokens)
is parsed by a shell and no secret appears on a command line.
"""
import base64
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.parse
import urllib.request

VERSION = 1
META = ".tack-remote"
STABLE_SECONDS = 0.5
POLL_SECONDS = 0.2
BEAT_SECONDS = 2.0
TRAIN_SCRIPT = "sdxl_train_network.py"


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".%03dZ" % int((time.time() % 1) * 1000)


def read_request():
    text = sys.stdin.read()
    return json.loads(text) if text.strip() else {}


def emit(obj, out=None):
    stream = out or sys.stdout
    stream.write(json.dumps(obj) + "\n")
    stream.flush()


def expand(path):
    return os.path.abspath(os.path.expanduser(path))


def write_json_atomic(path, value):
    tmp = "%s.tmp-%d" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(value, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


def safe_rel(rel):
    """A relative path that stays inside its folder, or None."""
    norm = os.path.normpath(rel)
    if os.path.isabs(norm) or norm == ".." or norm.startswith(".." + os.sep) or norm == ".":
        return None
    return norm


# ---------------------------------------------------------------- info

def git_head(checkout):
    """Mirrors tack's readGitHead: HEAD of a checkout without running git."""
    git_dir = os.path.join(checkout, ".git")
    if os.path.isfile(git_dir):
        with open(git_dir, encoding="utf-8") as f:
            m = re.match(r"gitdir:\s*(.+)", f.read().strip())
        if not m:
            return None, None
        git_dir = os.path.normpath(os.path.join(checkout, m.group(1)))
    if not os.path.isdir(git_dir):
        return None, None
    try:
        with open(os.path.join(git_dir, "HEAD"), encoding="utf-8") as f:
            head = f.read().strip()
    except OSError:
        return None, git_dir
    if re.fullmatch(r"[0-9a-f]{40}", head):
        return head, git_dir
    m = re.fullmatch(r"ref:\s*(\S+)", head)
    if not m:
        return None, git_dir
    ref = m.group(1)
    try:
        with open(os.path.join(git_dir, ref), encoding="utf-8") as f:
            direct = f.read().strip()
        if re.fullmatch(r"[0-9a-f]{40}", direct):
            return direct, git_dir
    except OSError:
        pass
    try:
        with open(os.path.join(git_dir, "packed-refs"), encoding="utf-8") as f:
            for line in f:
                parts = line.strip().split(" ")
                if len(parts) == 2 and parts[1] == ref and re.fullmatch(r"[0-9a-f]{40}", parts[0]):
                    return parts[0], git_dir
    except OSError:
        pass
    return None, git_dir


def locate_engine(root, sd_scripts, python):
    """Mirrors tack's locateEngine for a remote: the configured folder, else <root>/sd-scripts."""
    install_dir = os.path.join(root, "sd-scripts")
    if sd_scripts:
        directory, source = expand(sd_scripts), "config"
    elif os.path.isfile(os.path.join(install_dir, TRAIN_SCRIPT)):
        directory, source = install_dir, "install"
    else:
        directory, source = None, "none"
    py, py_source = "python3", "path"
    if python:
        py, py_source = (expand(python) if "/" in python else python), "config"
    elif directory:
        for venv in ("venv", ".venv"):
            candidate = os.path.join(directory, venv, "bin", "python")
            if os.path.exists(candidate):
                py, py_source = candidate, "venv"
                break
    ok = bool(directory) and os.path.isfile(os.path.join(directory, TRAIN_SCRIPT)) and os.path.isdir(os.path.join(directory, "library"))
    commit, git_dir = git_head(directory) if directory else (None, None)
    return {"dir": directory, "source": source, "ok": ok, "installDir": install_dir, "python": py, "pythonSource": py_source, "commit": commit, "gitDir": git_dir,
            "checkout": bool(directory) and os.path.isdir(os.path.join(directory, ".git")), "venv": bool(directory) and os.path.exists(os.path.join(directory, "venv"))}


def nvidia_smi():
    exe = shutil.which("nvidia-smi")
    if not exe:
        return {"error": "nvidia-smi not found"}
    try:
        out = subprocess.run([exe, "--query-gpu=index,name,memory.total,memory.used,driver_version", "--format=csv,noheader,nounits"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return {"error": str(e)}
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout).strip()[:300]}
    gpus = []
    for line in out.stdout.strip().splitlines():
        parts = [p.strip() for p in line.split(",")]
        if len(parts) >= 5:
            gpus.append({"index": int(parts[0]), "name": parts[1], "memoryMiB": int(float(parts[2])), "usedMiB": int(float(parts[3])), "driver": parts[4]})
    return {"gpus": gpus}


def disk_usage(path):
    probe = path
    while not os.path.exists(probe) and os.path.dirname(probe) != probe:
        probe = os.path.dirname(probe)
    usage = shutil.disk_usage(probe)
    free = usage.free
    if os.environ.get("TACK_REMOTE_TEST_FREE_BYTES"):
        free = int(os.environ["TACK_REMOTE_TEST_FREE_BYTES"])
    return {"path": probe, "freeBytes": free, "totalBytes": usage.total}


def cmd_info():
    req = read_request()
    root = expand(req.get("root") or "~/tack")
    env = dict(os.environ)
    env.update(req.get("env") or {})
    engine = locate_engine(root, req.get("sdScripts"), req.get("python"))
    result = {
        "version": VERSION, "hostname": socket.gethostname(), "system": os.uname().sysname, "release": os.uname().release, "machine": os.uname().machine,
        "agentPython": sys.version.split()[0], "agentExecutable": sys.executable, "home": os.path.expanduser("~"), "root": root, "rootExists": os.path.isdir(root),
        "disk": disk_usage(root), "rsync": shutil.which("rsync"), "tar": shutil.which("tar"), "git": shutil.which("git"), "nvidiaSmi": nvidia_smi(), "engine": engine,
    }
    script = req.get("probeScript")
    if script:
        try:
            out = subprocess.run([engine["python"], "-c", script], capture_output=True, text=True, timeout=req.get("probeTimeoutSec", 180),
                                 cwd=engine["dir"] or root if os.path.isdir(engine["dir"] or root) else None, env=dict(env, PYTHONIOENCODING="utf-8"))
            result["probe"] = {"code": out.returncode, "stdout": out.stdout[-200000:], "stderr": out.stderr[-4000:]}
        except FileNotFoundError:
            result["probe"] = {"code": None, "stdout": "", "stderr": "", "error": "not found"}
        except subprocess.TimeoutExpired:
            result["probe"] = {"code": None, "stdout": "", "stderr": "", "error": "timed out"}
        except OSError as e:
            result["probe"] = {"code": None, "stdout": "", "stderr": "", "error": str(e)}
    emit(result)


# ---------------------------------------------------------------- files

def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cmd_manifest():
    """{root, paths, cache}: every file under the given relative folders/files, hashed once per (size, mtime)."""
    req = read_request()
    root = expand(req["root"])
    os.makedirs(root, exist_ok=True)
    cache_path = os.path.join(root, ".tack-sync.json")
    cache = read_json(cache_path) or {}
    files = {}
    for rel in req.get("paths", []):
        rel = safe_rel(rel)
        if rel is None:
            continue
        top = os.path.join(root, rel)
        if os.path.isfile(top):
            found = [top]
        else:
            found = [os.path.join(base, name) for base, _dirs, names in os.walk(top) for name in names]
        for full in found:
            if os.path.basename(full).startswith("."):
                continue
            try:
                st = os.stat(full)
            except OSError:
                continue
            key = os.path.relpath(full, root)
            entry = cache.get(key)
            if not entry or entry[0] != st.st_size or entry[1] != st.st_mtime_ns:
                entry = [st.st_size, st.st_mtime_ns, sha256_file(full)]
                cache[key] = entry
            files[key] = {"size": st.st_size, "sha256": entry[2]}
    cache = {k: v for k, v in cache.items() if os.path.exists(os.path.join(root, k))}
    write_json_atomic(cache_path, cache)
    emit({"files": files, "disk": disk_usage(root)})


def cmd_receive(root):
    """A tar stream on stdin into `root`: regular files only, each to a temp name then renamed."""
    root = expand(root)
    os.makedirs(root, exist_ok=True)
    count = total = 0
    with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as tar:
        for member in tar:
            rel = safe_rel(member.name)
            if rel is None or not member.isfile():
                continue
            target = os.path.join(root, rel)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            tmp = os.path.join(os.path.dirname(target), ".%s.tmp-%d" % (os.path.basename(target), os.getpid()))
            src = tar.extractfile(member)
            with open(tmp, "wb") as f:
                shutil.copyfileobj(src, f, 1 << 20)
            os.utime(tmp, (member.mtime, member.mtime))
            os.replace(tmp, target)
            count += 1
            total += member.size
    emit({"files": count, "bytes": total})


def cmd_pack():
    req = read_request()
    root = expand(req["root"])
    with tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for rel in req.get("paths", []):
            rel = safe_rel(rel)
            full = os.path.join(root, rel) if rel else None
            if full and os.path.isfile(full):
                tar.add(full, arcname=rel, recursive=False)
    sys.stdout.flush()


def cmd_delete():
    req = read_request()
    root = expand(req["root"])
    removed = 0
    for rel in req.get("paths", []):
        rel = safe_rel(rel)
        full = os.path.join(root, rel) if rel else None
        if full and os.path.isfile(full):
            os.remove(full)
            removed += 1
    emit({"removed": removed})


# ---------------------------------------------------------------- runs

def meta_path(run_dir, name):
    return os.path.join(run_dir, META, name)


def pid_alive(pid, needle=None):
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if needle and os.path.isdir("/proc"):
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
            with open("/proc/%d/stat" % pid, "rb") as f:
                if f.read().rsplit(b")", 1)[-1].split()[0] == b"Z":
                    return False
            return needle in cmd
        except OSError:
            return False
    return True


def supervisor_alive(run_dir, state):
    return bool(state) and pid_alive(state.get("supervisorPid"), "supervise")


def cmd_launch(run_dir):
    run_dir = expand(run_dir)
    spec = read_request()
    os.makedirs(os.path.join(run_dir, META), exist_ok=True)
    state = read_json(meta_path(run_dir, "state.json"))
    if state and supervisor_alive(run_dir, state) and not os.path.exists(meta_path(run_dir, "exit.json")):
        emit({"error": "already-running", "supervisorPid": state.get("supervisorPid")})
        return 3
    for name in ("state.json", "exit.json", "stop.json"):
        try:
            os.remove(meta_path(run_dir, name))
        except FileNotFoundError:
            pass
    write_json_atomic(meta_path(run_dir, "launch.json"), spec)
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "supervise", run_dir], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=open(meta_path(run_dir, "supervisor.err"), "ab"), start_new_session=True, close_fds=True, cwd=run_dir)
    deadline = time.time() + 20
    while time.time() < deadline:
        state = read_json(meta_path(run_dir, "state.json"))
        ended = read_json(meta_path(run_dir, "exit.json"))
        if state:
            emit(dict(state, ok=True))
            return 0
        if ended and ended.get("spawnError"):
            emit({"error": "spawn-failed", "message": ended["spawnError"]})
            return 4
        if child.poll() is not None:
            err = ""
            try:
                with open(meta_path(run_dir, "supervisor.err"), encoding="utf-8", errors="replace") as f:
                    err = f.read()[-2000:]
            except OSError:
                pass
            emit({"error": "supervisor-died", "message": err})
            return 4
        time.sleep(0.05)
    emit({"error": "timeout", "message": "the supervisor did not start within 20 s"})
    return 4


def signal_name(rc):
    try:
        return signal.Signals(-rc).name
    except ValueError:
        return "SIG%d" % -rc


def kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def cmd_supervise(run_dir):
    spec = read_json(meta_path(run_dir, "launch.json"))
    log_path = os.path.join(run_dir, "log.txt")
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    if spec.get("banner"):
        os.write(fd, spec["banner"].encode("utf-8"))
    env = dict(os.environ)
    env.update(spec.get("env") or {})
    try:
        trainer = subprocess.Popen(spec["argv"], cwd=spec.get("cwd") or run_dir, env=env, stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True, close_fds=True)
    except OSError as e:
        os.close(fd)
        write_json_atomic(meta_path(run_dir, "exit.json"), {"code": None, "signal": None, "spawnError": "%s: %s" % (spec["argv"][0], e.strerror or e), "endedAt": now_iso()})
        return
    os.close(fd)
    started = now_iso()
    write_json_atomic(meta_path(run_dir, "state.json"), {"supervisorPid": os.getpid(), "trainerPid": trainer.pid, "startedAt": started, "hostname": socket.gethostname(), "version": VERSION})
    stop = {"reason": None, "at": None}
    requested = []

    def on_signal(_signum, _frame):
        requested.append("cancelled")

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    stall = float(spec.get("stallTimeoutSec") or 0)
    grace = float(spec.get("stopGraceSec") or 60)
    patterns = [(p["reason"], re.compile(p["pattern"].encode("utf-8"))) for p in spec.get("stopPatterns") or []]
    log_pos = os.path.getsize(log_path)
    last_growth = time.time()
    carry = b""
    killed_after_grace = False
    gone = False

    def request_stop(reason):
        if stop["reason"] is None:
            stop["reason"], stop["at"] = reason, time.time()
            kill_group(trainer.pid, signal.SIGINT)

    while trainer.poll() is None:
        time.sleep(0.25)
        if not os.path.isdir(run_dir):
            gone = True
            request_stop("remote-gone")
        if requested:
            request_stop(requested[-1])
        if not gone:
            asked = read_json(meta_path(run_dir, "stop.json"))
            if asked:
                request_stop(asked.get("reason") or "cancelled")
            try:
                size = os.path.getsize(log_path)
            except OSError:
                size = log_pos
            if size != log_pos:
                last_growth = time.time()
                if patterns and size > log_pos:
                    with open(log_path, "rb") as f:
                        f.seek(log_pos)
                        data = carry + f.read(size - log_pos)
                    carry = data[-400:]
                    for reason, pattern in patterns:
                        if pattern.search(data):
                            request_stop(reason)
                log_pos = size
            if stall and time.time() - last_growth > stall:
                request_stop("stalled")
        if stop["at"] is not None and not killed_after_grace and time.time() - stop["at"] > grace:
            killed_after_grace = True
            kill_group(trainer.pid, signal.SIGKILL)
    rc = trainer.returncode
    # Anything left in the group (a grandchild) goes too, so the GPU is free when the exit is known.
    kill_group(trainer.pid, signal.SIGKILL)
    if gone or not os.path.isdir(run_dir):
        return
    write_json_atomic(meta_path(run_dir, "exit.json"), {
        "code": rc if rc >= 0 else None, "signal": signal_name(rc) if rc < 0 else None, "endedAt": now_iso(), "startedAt": started,
        "stop": stop["reason"], "killedAfterGrace": killed_after_grace,
    })


def list_outputs(run_dir):
    """Files under output/ (not temp files of the engine or of rsync): rel -> (size, mtime seconds)."""
    out = {}
    base = os.path.join(run_dir, "output")
    for folder, dirs, names in os.walk(base):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.startswith(".") or ".tmp" in name:
                continue
            full = os.path.join(folder, name)
            try:
                st = os.stat(full)
            except OSError:
                continue
            out[os.path.relpath(full, run_dir)] = (st.st_size, int(st.st_mtime))
    return out


def state_dir_of(rel):
    parts = rel.split(os.sep)
    return parts[1] if len(parts) >= 3 and parts[0] == "output" and parts[1].endswith("-state") else None


def cmd_follow(run_dir):
    run_dir = expand(run_dir)
    req = read_request()
    offset = int(req.get("offset") or 0)
    announced = {k: tuple(v) for k, v in (req.get("known") or {}).items()}
    out = sys.stdout
    state = read_json(meta_path(run_dir, "state.json"))
    log_path = os.path.join(run_dir, "log.txt")
    if not os.path.isdir(run_dir):
        emit({"k": "gone"}, out)
        return
    size = os.path.getsize(log_path) if os.path.exists(log_path) else 0
    emit({"k": "hello", "state": state, "logSize": size, "hostname": socket.gethostname()}, out)
    if offset > size:
        emit({"k": "log-shorter", "logSize": size, "offset": offset}, out)
        return

    def pump():
        nonlocal offset
        try:
            with open(log_path, "rb") as f:
                f.seek(offset)
                while True:
                    data = f.read(256 * 1024)
                    if not data:
                        break
                    emit({"k": "log", "at": offset, "b64": base64.b64encode(data).decode("ascii")}, out)
                    offset += len(data)
        except FileNotFoundError:
            pass

    pending = {}
    last_beat = 0.0
    lost_since = None
    while True:
        if not os.path.isdir(run_dir):
            emit({"k": "gone"}, out)
            return
        ended = read_json(meta_path(run_dir, "exit.json"))
        pump()
        files = list_outputs(run_dir)
        now = time.time()
        ready = []
        incomplete_states = set()
        for rel, stat in files.items():
            d = state_dir_of(rel)
            if d and not ended and not os.path.exists(os.path.join(run_dir, "output", d, "train_state.json")):
                incomplete_states.add(d)
        for rel, stat in sorted(files.items()):
            if announced.get(rel) == stat:
                pending.pop(rel, None)
                continue
            seen = pending.get(rel)
            if seen is None or seen[0] != stat:
                pending[rel] = (stat, now)
                if not ended:
                    continue
            if not ended and (now - pending[rel][1] < STABLE_SECONDS or state_dir_of(rel) in incomplete_states):
                continue
            ready.append({"p": rel, "s": stat[0], "m": stat[1]})
        if not ended:
            # A state folder is sent whole: only when every file in it is ready.
            waiting = {state_dir_of(rel) for rel in pending if state_dir_of(rel) and not any(r["p"] == rel for r in ready)}
            ready = [r for r in ready if state_dir_of(r["p"]) not in waiting]
        for r in ready:
            announced[r["p"]] = (r["s"], r["m"])
            pending.pop(r["p"], None)
        removed = [rel for rel in announced if rel not in files and state_dir_of(rel)]
        for rel in removed:
            del announced[rel]
        if ready:
            emit({"k": "files", "files": ready}, out)
        if removed:
            emit({"k": "removed", "paths": removed}, out)
        if ended:
            pump()
            emit(dict(ended, k="exit"), out)
            return
        state = state or read_json(meta_path(run_dir, "state.json"))
        if not supervisor_alive(run_dir, state):
            # The exit file is written just before the supervisor ends: look once more.
            lost_since = lost_since or now
            if now - lost_since > 1.0 and not os.path.exists(meta_path(run_dir, "exit.json")):
                pump()
                trainer = state.get("trainerPid") if state else None
                emit({"k": "lost", "trainerAlive": pid_alive(trainer)}, out)
                return
        if now - last_beat >= BEAT_SECONDS:
            last_beat = now
            emit({"k": "beat", "logSize": offset}, out)
        time.sleep(POLL_SECONDS)


def cmd_stop(run_dir, reason):
    run_dir = expand(run_dir)
    state = read_json(meta_path(run_dir, "state.json"))
    if not os.path.isdir(run_dir):
        emit({"stopping": False, "why": "gone"})
        return
    if os.path.exists(meta_path(run_dir, "exit.json")):
        emit({"stopping": False, "why": "ended"})
        return
    write_json_atomic(meta_path(run_dir, "stop.json"), {"reason": reason, "at": now_iso()})
    emit({"stopping": True, "supervisorAlive": supervisor_alive(run_dir, state)})


def cmd_status():
    req = read_request()
    runs = {}
    for run_dir in req.get("runs", []):
        full = expand(run_dir)
        state = read_json(meta_path(full, "state.json"))
        log_path = os.path.join(full, "log.txt")
        entry = {"exists": os.path.isdir(full), "state": state, "exit": read_json(meta_path(full, "exit.json")), "supervisorAlive": supervisor_alive(full, state)}
        if os.path.exists(log_path):
            size = os.path.getsize(log_path)
            with open(log_path, "rb") as f:
                f.seek(max(0, size - 16384))
                entry["logSize"] = size
                entry["tail"] = base64.b64encode(f.read()).decode("ascii")
        runs[run_dir] = entry
    emit({"runs": runs})


# ---------------------------------------------------------------- models

def cmd_fetch():
    req = read_request()
    dest = expand(req["dest"])
    url = req["url"]
    want = (req.get("sha256") or "").lower() or None
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    part = dest + ".part"
    h = hashlib.sha256()
    have = 0
    if os.path.exists(part):
        with open(part, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
                have += len(block)
    headers = dict(req.get("headers") or {})
    headers.setdefault("User-Agent", "tack-remote/%d" % VERSION)
    if have:
        headers["Range"] = "bytes=%d-" % have
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=60)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:
            response = None
        else:
            emit({"k": "error", "message": "HTTP %d %s" % (e.code, e.reason)})
            return 5
    except (urllib.error.URLError, OSError) as e:
        emit({"k": "error", "message": str(getattr(e, "reason", e))})
        return 5
    if response is not None:
        if have and response.status != 206:
            have, h = 0, hashlib.sha256()
        length = response.headers.get("Content-Length")
        total = have + int(length) if length else None
        last = 0.0
        with open(part, "ab" if have else "wb") as f:
            while True:
                block = response.read(1 << 20)
                if not block:
                    break
                f.write(block)
                h.update(block)
                have += len(block)
                if time.time() - last > 0.5:
                    last = time.time()
                    emit({"k": "progress", "done": have, "total": total})
    digest = h.hexdigest()
    if want and digest != want:
        os.remove(part)
        emit({"k": "error", "message": "SHA-256 mismatch", "sha256": digest, "expected": want})
        return 6
    os.replace(part, dest)
    with open(dest + ".sha256", "w", encoding="utf-8") as f:
        f.write("%s  %s\n" % (digest, os.path.basename(dest)))
    emit({"k": "done", "bytes": have, "sha256": digest, "path": dest})
    return 0


def cmd_header(path):
    path = expand(path)
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            length = int.from_bytes(f.read(8), "little")
            if length < 2 or length > min(100 * 1024 * 1024, size - 8):
                emit({"path": path, "size": size, "error": "not a safetensors file (header length %d)" % length})
                return 0
            header = f.read(length).decode("utf-8", "replace")
        sidecar = None
        if os.path.exists(path + ".sha256"):
            with open(path + ".sha256", encoding="utf-8") as f:
                sidecar = f.read().split()[0]
        emit({"path": path, "size": size, "header": header, "sha256": sidecar})
    except FileNotFoundError:
        emit({"path": path, "missing": True})
    except OSError as e:
        emit({"path": path, "error": str(e)})
    return 0


def cmd_reach():
    req = read_request()
    result = {}
    for url in req.get("urls", []):
        host, port = None, None
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme in ("http", "https", "ssh", "git") and parsed.hostname:
            host = parsed.hostname
            port = parsed.port or {"http": 80, "https": 443, "ssh": 22, "git": 9418}[parsed.scheme]
        else:
            m = re.match(r"^[\w.-]+@([\w.-]+):", url)
            if m:
                host, port = m.group(1), 22
        if host is None:
            result[url] = True
            continue
        try:
            socket.create_connection((host, port), timeout=5).close()
            result[url] = True
        except OSError:
            result[url] = False
    emit(result)


def cmd_dirstate():
    req = read_request()
    d = expand(req["dir"])
    exists = os.path.exists(d)
    emit({"exists": exists, "empty": not exists or (os.path.isdir(d) and not os.listdir(d)), "checkout": os.path.exists(os.path.join(d, ".git")), "venv": os.path.exists(os.path.join(d, "venv"))})


def cmd_run():
    req = read_request()
    env = dict(os.environ)
    env.update(req.get("env") or {})
    cwd = expand(req["cwd"]) if req.get("cwd") else None
    if cwd:
        os.makedirs(cwd, exist_ok=True)
    try:
        child = subprocess.Popen(req["argv"], cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as e:
        sys.stderr.write("%s: %s\n" % (req["argv"][0], e.strerror or e))
        return 127
    for block in iter(lambda: child.stdout.read1(65536) if hasattr(child.stdout, "read1") else child.stdout.read(4096), b""):
        sys.stdout.buffer.write(block)
        sys.stdout.buffer.flush()
    return child.wait()


COMMANDS = {
    "version": lambda args: emit({"version": VERSION}),
    "info": lambda args: cmd_info(),
    "manifest": lambda args: cmd_manifest(),
    "receive": lambda args: cmd_receive(args[0]),
    "pack": lambda args: cmd_pack(),
    "delete": lambda args: cmd_delete(),
    "launch": lambda args: cmd_launch(args[0]),
    "supervise": lambda args: cmd_supervise(args[0]),
    "follow": lambda args: cmd_follow(args[0]),
    "stop": lambda args: cmd_stop(args[0], args[1] if len(args) > 1 else "cancelled"),
    "status": lambda args: cmd_status(),
    "fetch": lambda args: cmd_fetch(),
    "header": lambda args: cmd_header(args[0]),
    "reach": lambda args: cmd_reach(),
    "run": lambda args: cmd_run(),
    "dirstate": lambda args: cmd_dirstate(),
}


def main(argv):
    command = COMMANDS.get(argv[1]) if len(argv) > 1 else None
    if command is None:
        sys.stderr.write("tack-remote: unknown command %s\n%s" % (argv[1:2], __doc__))
        return 2
    try:
        return command(argv[2:])
    except BrokenPipeError:
        return 141
    except OSError as e:
        if e.errno == 28:
            sys.stderr.write("tack-remote: No space left on device: %s\n" % e)
            return 28
        raise


if __name__ == "__main__":
    sys.exit(main(sys.argv) or 0)
